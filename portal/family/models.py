"""Models of the family area: grants to act for a patient, and requests for one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Patient, User, WithStoredFile
from portal.types import UTCDateTime, utcnow

RELATIONSHIPS = ("parent", "guardian", "carer", "partner", "other")
#: Relationships the clinic's age rules apply to (a parent's access to a child).
PARENTAL = ("parent", "guardian")
#: Statuses under which a grant can give access (pending_consent: once the child agrees).
LIVE = ("active", "pending_consent")


class ProxyGrant(db.Model):
    """Permission for one user to act for one patient, with exactly the chosen rights."""

    __tablename__ = "proxy_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    grantee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: Permission values (never "documents", which is for staff).
    permissions: Mapped[list] = mapped_column(JSON, default=list)
    relationship_kind: Mapped[str] = mapped_column("relationship", String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: active, pending_consent, revoked, ended, or invited (waiting for the invitee).
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: True when the patient chose this person themself: age rules then do not apply.
    invited_by_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    child_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why access ended: revoked, end-date, age (see family/review.py).
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    #: What staff wrote when they ended the grant (migration 0010).
    revoke_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grantee: Mapped[User] = relationship(foreign_keys=[grantee_user_id])
    patient: Mapped[Patient] = relationship(foreign_keys=[patient_id])

    __table_args__ = (Index("ix_proxy_grants_grantee", "grantee_user_id", "status"),
                      Index("ix_proxy_grants_patient", "patient_id", "status"))


class AccessRequest(WithStoredFile, db.Model):
    """A parent's or carer's request to act for a child, waiting for staff to check it.

    `file` is the optional supporting document (a birth certificate, a court order).
    """

    __tablename__ = "proxy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    relationship_kind: Mapped[str] = mapped_column("relationship", String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    #: pending, approved or declined.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("proxy_grants.id"))

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])

    __table_args__ = (Index("ix_proxy_requests_status", "status", "created_at"),)
