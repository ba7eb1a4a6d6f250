"""The account area's own table: notifications waiting for the daily summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import UTCDateTime, utcnow


class PendingNotice(db.Model):
    """One "something new is waiting" for someone who chose the daily summary for its kind.

    `event` names what happened (the mail template a single mail would use), never what
    it is about: the summary only counts them.
    """

    __tablename__ = "pending_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(40))
    #: Whom it is about, when the user acts for them (None: the user's own record).
    acting_for: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the summary that names it is put in the outbox.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_pending_notices_sent_user", "sent_at", "user_id"),)
