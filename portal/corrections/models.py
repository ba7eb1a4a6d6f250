"""A patient's request to correct an item of their record or their contact details."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Patient, User
from portal.types import UTCDateTime, utcnow

#: What the patient says is wrong.
REASONS = ("not-mine", "out-of-date", "wrong-value", "other")
#: Where a request is: waiting for staff, accepted (the item corrected), declined.
OPEN, ACCEPTED, DECLINED = "open", "accepted", "declined"
#: The longest explanation a patient or staff member may write.
TEXT_LIMIT = 1000


class CorrectionRequest(db.Model):
    """One request to correct the record (EHDS, EU 2025/327 art. 5), and staff's decision.

    `original` keeps what the item (or the contact details) said when the request was
    made, and again just before an accepted correction changed it: the history shows
    both the old and the new value, whatever a later import does to the item.
    """

    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: The record item it is about; None for the contact details.
    record_item_id: Mapped[int | None] = mapped_column(ForeignKey("record_items.id"))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The clinic's date by which it must be decided (its deadline setting).
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    #: {"title": ..., "value": ...} for an item; the contact fields for contact details.
    original: Mapped[dict] = mapped_column(JSON, default=dict)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Accepted: what was changed; declined: why not. The patient reads it.
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The new name or value staff put in the record, if they changed it here.
    corrected_value: Mapped[str | None] = mapped_column(String(300))
    #: Accepted by taking the item out of the record (it was never the patient's, or was
    #: recorded in error): the item is marked entered-in-error and shows nowhere any more.
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    patient: Mapped[Patient] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    __table_args__ = (
        Index("ix_correction_requests_status_due", "status", "due_on"),
        Index("ix_correction_requests_patient_item", "patient_id", "record_item_id"),
    )
