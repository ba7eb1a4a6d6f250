"""Models of the appointments area: what can be booked, what is booked, and referrals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Patient, User
from portal.types import UTCDateTime, utcnow

BOOKED = "booked"
CANCELLED = "cancelled"
REFERRAL_STATUSES = ("requested", "sent", "accepted", "booked", "completed", "declined",
                     "cancelled")


class AppointmentType(db.Model):
    """A kind of visit the clinic offers (e.g. "GP consultation, 10 minutes")."""

    __tablename__ = "appointment_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: {"en": "GP consultation", "nl": "Consult huisarts", "pl": "Wizyta u lekarza"}
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=10)
    bookable_online: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Patients may cancel or move the appointment until this many hours before it.
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=24)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Practitioner(db.Model):
    """Someone patients see: a doctor, nurse or assistant."""

    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Location(db.Model):
    """Where an appointment takes place."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Slot(db.Model):
    """A time a practitioner is free for an appointment (stored in UTC)."""

    __tablename__ = "appointment_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: The one type this slot is for; None: any type that is bookable online.
    appointment_type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_types.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    practitioner: Mapped[Practitioner] = relationship()
    location: Mapped[Location] = relationship()
    appointment_type: Mapped[AppointmentType | None] = relationship()

    __table_args__ = (
        # Opening the same recurring series twice must not double the slots.
        UniqueConstraint("practitioner_id", "starts_at", name="uq_appointment_slots_practitioner"),
        Index("ix_appointment_slots_starts_at", "starts_at"),
    )


class ClosedDay(db.Model):
    """A day the clinic is closed (in the clinic's calendar): nothing can be booked."""

    __tablename__ = "closed_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Appointment(db.Model):
    """A patient's booking of one slot; cancelled ones stay for the history."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    #: Copied from the slot so lists and reminders sort and filter without a join.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=BOOKED)
    #: What the patient wrote; shown to the clinic, never put in an e-mail.
    reason: Mapped[str] = mapped_column(Text, default="")
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who checked in: the patient, or a parent or carer acting for them (staff see whom).
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The check-in answers: {"contact_ok": "yes"|"no", "medication_changes": "...", ...}.
    check_in: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Raised on every move, so calendars replace the event they have (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The start before the latest move, and when it was moved (None: never moved).
    moved_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
    slot: Mapped[Slot] = relationship()
    appointment_type: Mapped[AppointmentType] = relationship()
    #: The pages that name a proxy who checked in load it with the appointment (the day
    #: view, and the lists' `services._with_details`), not one query per appointment.
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])

    __table_args__ = (
        # The rule that makes double booking impossible, even for two requests at the
        # same instant: a slot has at most one appointment that is still booked.
        Index("uq_appointments_booked_slot", "slot_id", unique=True,
              sqlite_where=text("status = 'booked'"),
              postgresql_where=text("status = 'booked'")),
        Index("ix_appointments_patient_start", "patient_id", "starts_at"),
        Index("ix_appointments_status_start", "status", "starts_at"),
    )

    @property
    def type_id(self) -> int:
        """The appointment type's id (the name the questionnaires area asks for)."""
        return self.appointment_type_id


class SlotReservation(db.Model):
    """A slot an appointment occupies: the one it starts in and each later one it runs into.

    The primary key on the slot is the rule that makes overlapping bookings impossible,
    even for two requests at the same instant: two appointments that overlap in time
    always share the slot the later one starts in, and the database refuses the second
    reservation of it.
    """

    __tablename__ = "slot_reservations"

    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"), primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True)


class Referral(db.Model):
    """A referral to a specialist or service, entered by staff or imported."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: To whom: a specialty, clinic or named specialist.
    referred_to: Mapped[str] = mapped_column(String(200))
    #: The reason in words the patient may read.
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    referred_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when the referral came from an imported record (its FHIR id).
    fhir_id: Mapped[str | None] = mapped_column(String(64))
    #: For an imported referral, the hash of the values the import last wrote: only a
    #: change in them rewrites the row, so staff's later status changes stay otherwise.
    content_hash: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_referrals_patient_date", "patient_id", "referred_on"),
        # Staff-entered referrals have no fhir id; NULLs never clash in a unique index.
        Index("uq_referrals_patient_fhir_id", "patient_id", "fhir_id", unique=True),
    )
