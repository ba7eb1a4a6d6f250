"""The outbox: every e-mail the portal sends, from the change that causes it to delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import UTCDateTime, utcnow

#: Waiting for its (next) attempt.
PENDING = "pending"
#: Claimed by one sender process, which is talking to the mail server now.
SENDING = "sending"
#: Accepted by the mail server; the body is gone.
SENT = "sent"
#: Given up on after too many attempts or a permanent refusal; shown to administrators.
DEAD = "dead"


class OutgoingMail(db.Model):
    """One e-mail, stored in the transaction of the change it tells about."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    from_header: Mapped[str] = mapped_column(String(400))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(400))
    #: Emptied once sent: it may hold a reset link or a sign-in code.
    body: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Which sender claimed it, and when; a claim older than the lease is taken over.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The kind of failure and the server's reply code, never an address or the body.
    last_error: Mapped[str | None] = mapped_column(String(200))
