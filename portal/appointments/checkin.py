"""Check-in before a visit: when it opens, what the patient confirms, the clinic's forms."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal import audit
from portal.appointments.models import BOOKED, Appointment
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.records.models import RecordItem
from portal.records.services import CURRENT_MEDICATION, items_of, newest_first

#: At most this many medicines and allergies are listed to confirm; the record has the rest.
LISTED = 20

#: What a check-in asks about: (topic, the answer that says "unchanged", the field with
#: what the patient wrote about the change, if any). Medicines and allergies are clinical.
TOPICS = (("contact", "contact_ok", None), ("insurance", "insurance_same", None),
          ("medicines", "medications_same", "medication_changes"),
          ("allergies", "allergies_same", "allergy_changes"))
CLINICAL = ("medicines", "allergies")


def opens_at(appointment: Appointment) -> datetime:
    """The moment check-in opens: the clinic's number of days before the start."""
    days = current_clinic().check_in_days
    return appointment.starts_at - timedelta(days=3 if days is None else days)


def may_check_in(appointment: Appointment, now: datetime) -> bool:
    """Booked, and between the opening of check-in and the start of the visit."""
    return appointment.status == BOOKED and opens_at(appointment) <= now < appointment.starts_at


def record_to_confirm(patient: Patient, *,
                      as_proxy: bool) -> tuple[list[RecordItem], list[RecordItem]]:
    """The current medicines and the allergies in the record (two bounded queries)."""
    medicines = db.session.scalars(newest_first(items_of(patient, "medication",
                                                         as_proxy=as_proxy).where(
        RecordItem.status.in_(CURRENT_MEDICATION))).limit(LISTED)).all()
    allergies = db.session.scalars(newest_first(items_of(
        patient, "allergy", as_proxy=as_proxy).where(
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


def changes(appointment: Appointment) -> list[tuple[str, str]]:
    """What the patient said has changed at check-in: (topic, what they wrote), in the
    order the check-in asks; an empty list when nothing changed or they did not check in."""
    answers = appointment.check_in or {}
    if appointment.checked_in_at is None:
        return []
    return [(topic, (answers.get(text) or "").strip() if text else "")
            for topic, unchanged, text in TOPICS if answers.get(unchanged) == "no"]


def flagged(appointment: Appointment) -> list[str]:
    """The clinical topics (medicines, allergies) the clinician should look at."""
    return [topic for topic, _text in changes(appointment) if topic in CLINICAL]


def flagged_for(patient_id: int, since: datetime) -> list[Appointment]:
    """The patient's booked appointments from `since` on whose check-in reported a change
    of medicines or allergies, soonest first (one query)."""
    found = db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient_id, Appointment.status == BOOKED,
        Appointment.ends_at > since, Appointment.checked_in_at.is_not(None))
        .order_by(Appointment.starts_at).limit(LISTED)).all()
    return [appointment for appointment in found if flagged(appointment)]


def flagged_coming(patient: Patient) -> list[Appointment]:
    """The patient's coming appointments whose check-in changed medicines or allergies."""
    from portal.types import utcnow

    return flagged_for(patient.id, utcnow())


def save_check_in(appointment: Appointment, answers: dict, now: datetime, by: User) -> None:
    """Store the patient's answers, when and by whom (the patient, or a parent or carer
    acting for them) they checked in, with the audit line."""
    appointment.check_in = answers
    appointment.checked_in_at, appointment.checked_in_by_id = now, by.id
    audit.record(audit.Action.APPOINTMENT_CHECKED_IN, patient=appointment.patient_id,
                 target=f"appointment:{appointment.id}")
    db.session.commit()
