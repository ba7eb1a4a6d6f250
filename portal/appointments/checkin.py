"""Check-in before a visit: when it opens, what the patient confirms, the clinic's forms."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import audit
from portal.appointments.models import BOOKED, Appointment
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient
from portal.records.models import RecordItem
from portal.records.services import CURRENT_MEDICATION, items_of, newest_first

#: At most this many medicines and allergies are listed to confirm; the record has the rest.
LISTED = 20


def opens_at(appointment: Appointment) -> datetime:
    """The moment check-in opens: the clinic's number of days before the start."""
    days = current_clinic().check_in_days
    return appointment.starts_at - timedelta(days=3 if days is None else days)


def may_check_in(appointment: Appointment, now: datetime) -> bool:
    """Booked, and between the opening of check-in and the start of the visit."""
    return appointment.status == BOOKED and opens_at(appointment) <= now < appointment.starts_at


def record_to_confirm(patient: Patient) -> tuple[list[RecordItem], list[RecordItem]]:
    """The current medicines and the allergies in the record (two bounded queries)."""
    medicines = db.session.scalars(newest_first(items_of(patient, "medication").where(
        RecordItem.status.in_(CURRENT_MEDICATION))).limit(LISTED)).all()
    allergies = db.session.scalars(newest_first(items_of(patient, "allergy").where(
        (RecordItem.status.is_(None)) | (RecordItem.status == "active"))).limit(LISTED)).all()
    return list(medicines), list(allergies)


def forms_to_fill(appointment: Appointment) -> list[tuple[str, str, bool]]:
    """The clinic's forms for this type of visit: (title, address, done).

    The questionnaires area provides them; until it does, there are none to show.
    """
    try:
        from portal.questionnaires.services import forms_for_appointment
    except (ImportError, AttributeError):
        return []
    return list(forms_for_appointment(appointment))


def save_check_in(appointment: Appointment, answers: dict, now: datetime) -> None:
    """Store the patient's answers and when they checked in, with the audit line."""
    appointment.check_in = answers
    appointment.checked_in_at = now
    audit.record("appointment-checked-in", patient=appointment.patient_id,
                 target=f"appointment:{appointment.id}")
    db.session.commit()
