"""Models of getting in: invitations to activate an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Patient, User
from portal.types import UTCDateTime, utcnow


class Invitation(db.Model):
    """A single-use activation code the clinic gave a patient (by e-mail or letter)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    #: HMAC of the normalised code: the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default="letter")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Wrong dates of birth or names given with this code; too many closes it.
    failed_attempts: Mapped[int] = mapped_column(default=0)

    patient: Mapped[Patient] = relationship()

    def is_open(self, now: datetime) -> bool:
        """Not used, not cancelled and not expired at `now`."""
        return self.used_at is None and self.cancelled_at is None and now < self.expires_at


class RecoveryCode(db.Model):
    """One of ten single-use codes that stand in for a lost second factor."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailCode(db.Model):
    """A six-digit code sent by e-mail as the second factor: 10 minutes, 5 tries."""

    __tablename__ = "email_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """A signed-in session kept on the server, so it can be listed and ended."""

    __tablename__ = "user_sessions"

    #: Random, unguessable; the browser's cookie holds only this.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "sign-out", "idle", "expired", "ended-by-user", "password-changed", "disabled",
    #: "renewed" (replaced by a new id when the password was typed again)
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()
