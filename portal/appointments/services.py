"""The rules of booking: which slots are free, booking, cancelling and moving appointments.

A slot can never hold two booked appointments: a partial unique index on
`appointments.slot_id` (where the status is booked) makes the database refuse the second
one, however close together two requests arrive. The checks here only give a friendlier
answer in the common case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from portal import audit
from portal.appointments.models import BOOKED, CANCELLED, Appointment, AppointmentType, Slot
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.records.services import Page, paginate
from portal.types import utcnow

#: Days of free slots shown on one page of the booking calendar.
DAYS_PER_PAGE = 3
#: How often a booking is tried again when SQLite reports a lock it could not wait out.
LOCK_RETRIES = 3


class SlotTaken(Exception):
    """The slot was booked by someone else (perhaps a moment ago)."""


class TooLate(Exception):
    """The appointment is within its type's cancellation cut-off."""


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(current_clinic().timezone)


def local_day(moment: datetime) -> date:
    """The clinic's calendar day of a UTC moment."""
    return moment.astimezone(clinic_tz()).date()


def local_moment(day: date, at: time) -> datetime:
    """A wall-clock time on a day in the clinic's time zone, as a UTC moment."""
    return datetime.combine(day, at, tzinfo=clinic_tz()).astimezone(UTC)


def day_bounds(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC moments at which `days` of the clinic's calendar start and end."""
    return local_moment(first, time(0)), local_moment(first + timedelta(days=days), time(0))


def online_types() -> list[AppointmentType]:
    """The types patients may book themselves, in a stable order."""
    return list(db.session.scalars(select(AppointmentType).where(
        AppointmentType.active.is_(True), AppointmentType.bookable_online.is_(True))
        .order_by(AppointmentType.id)))


def find_online_type(type_id: int | None) -> AppointmentType | None:
    """An active type patients may book, or None."""
    found = db.session.get(AppointmentType, type_id) if type_id else None
    return found if found and found.active and found.bookable_online else None


def _is_free():
    return ~exists().where(Appointment.slot_id == Slot.id, Appointment.status == BOOKED)


def free_slots(appointment_type: AppointmentType, now: datetime) -> Select:
    """Future slots without a booked appointment that `appointment_type` may use."""
    return (select(Slot).where(
        Slot.starts_at > now, _is_free(),
        (Slot.appointment_type_id == appointment_type.id) | Slot.appointment_type_id.is_(None))
        .options(joinedload(Slot.practitioner), joinedload(Slot.location))
        .order_by(Slot.starts_at, Slot.id))


def first_free_day(appointment_type: AppointmentType, now: datetime) -> date | None:
    """The clinic's day of the first free slot, so the calendar opens where there is room."""
    first = db.session.scalar(free_slots(appointment_type, now).with_only_columns(Slot.starts_at)
                              .limit(1))
    return local_day(first) if first else None


def free_days(appointment_type: AppointmentType, first: date, now: datetime,
              days: int = DAYS_PER_PAGE) -> list[tuple[date, list[Slot]]]:
    """Free slots on `days` days from `first`, grouped by the clinic's calendar day."""
    start, end = day_bounds(first, days)
    slots = db.session.scalars(free_slots(appointment_type, now)
                               .where(Slot.starts_at >= start, Slot.starts_at < end)).all()
    grouped: dict[date, list[Slot]] = {first + timedelta(days=i): [] for i in range(days)}
    for slot in slots:
        grouped.setdefault(local_day(slot.starts_at), []).append(slot)
    return list(grouped.items())


def find_free_slot(slot_id: int, now: datetime) -> Slot | None:
    """The slot if it is in the future and nobody has booked it."""
    return db.session.scalar(select(Slot).where(Slot.id == slot_id, Slot.starts_at > now,
                                                _is_free())
                             .options(joinedload(Slot.practitioner), joinedload(Slot.location),
                                      joinedload(Slot.appointment_type)))


def types_for_slot(slot: Slot) -> list[AppointmentType]:
    """The types a patient may book in `slot`."""
    if slot.appointment_type_id is not None:
        kind = slot.appointment_type
        return [kind] if kind.active and kind.bookable_online else []
    return online_types()


def _new_appointment(patient: Patient, slot: Slot, kind: AppointmentType, reason: str,
                     actor: User | None) -> Appointment:
    appointment = Appointment(
        patient_id=patient.id, slot_id=slot.id, appointment_type_id=kind.id,
        starts_at=slot.starts_at, ends_at=slot.starts_at + timedelta(minutes=kind.duration_minutes),
        status=BOOKED, reason=reason.strip(), booked_by_id=actor.id if actor else None,
        booked_at=utcnow(), check_in={})
    db.session.add(appointment)
    return appointment


def _commit_or_taken(change) -> Appointment:
    """Run `change()` and commit; a clash on the slot becomes SlotTaken, with nothing kept.

    SQLite may refuse a writer whose snapshot went stale while another booked ("database
    is locked"); trying again then sees the other booking and answers SlotTaken.
    """
    for attempt in range(LOCK_RETRIES):
        try:
            appointment = change()
            db.session.commit()
            return appointment
        except IntegrityError:
            db.session.rollback()
            raise SlotTaken from None
        except OperationalError:
            db.session.rollback()
            if attempt == LOCK_RETRIES - 1:
                raise SlotTaken from None
    raise SlotTaken


def book(patient: Patient, slot_id: int, kind: AppointmentType, reason: str,
         actor: User | None) -> Appointment:
    """Book slot `slot_id` for `patient`; raise SlotTaken when it is gone."""

    def change():
        slot = find_free_slot(slot_id, utcnow())
        if slot is None:
            raise SlotTaken
        appointment = _new_appointment(patient, slot, kind, reason, actor)
        db.session.flush()
        audit.record("appointment-booked", patient=patient, target=f"appointment:{appointment.id}")
        return appointment

    return _commit_or_taken(change)


def change_deadline(appointment: Appointment) -> datetime:
    """The last moment the patient may cancel or move the appointment."""
    return appointment.starts_at - timedelta(hours=appointment.appointment_type.cancel_cutoff_hours)


def may_change(appointment: Appointment, now: datetime) -> bool:
    """Booked, and not yet past the cut-off (the cut-off moment itself still counts)."""
    return appointment.status == BOOKED and now <= change_deadline(appointment)


def cancel(appointment: Appointment, actor: User | None, now: datetime) -> None:
    """Cancel the appointment, which frees its slot; raise TooLate after the cut-off."""
    if not may_change(appointment, now):
        raise TooLate
    _mark_cancelled(appointment, actor, now)
    audit.record("appointment-cancelled", patient=appointment.patient_id,
                 target=f"appointment:{appointment.id}")
    db.session.commit()


def _mark_cancelled(appointment: Appointment, actor: User | None, now: datetime) -> None:
    appointment.status = CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by_id = actor.id if actor else None


def reschedule(appointment: Appointment, slot_id: int, actor: User | None,
               now: datetime) -> Appointment:
    """Book the new slot and cancel the old appointment in one transaction."""
    if not may_change(appointment, now):
        raise TooLate
    old_id, patient_id, kind, reason = (appointment.id, appointment.patient_id,
                                        appointment.appointment_type, appointment.reason)

    def change():
        slot = find_free_slot(slot_id, utcnow())
        old = db.session.get(Appointment, old_id)
        if slot is None or slot.id == old.slot_id or kind not in types_for_slot(slot):
            raise SlotTaken
        _mark_cancelled(old, actor, now)
        new = _new_appointment(old.patient, slot, kind, reason, actor)
        db.session.flush()
        audit.record("appointment-rescheduled", patient=patient_id,
                     target=f"appointment:{old_id}->appointment:{new.id}")
        return new

    return _commit_or_taken(change)


def _with_details(statement: Select) -> Select:
    return statement.options(joinedload(Appointment.appointment_type),
                             joinedload(Appointment.slot).joinedload(Slot.practitioner),
                             joinedload(Appointment.slot).joinedload(Slot.location))


def upcoming_page(patient: Patient, now: datetime, page: int, per_page: int = 20) -> Page:
    """The patient's booked appointments still to come, soonest first."""
    return paginate(_with_details(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status == BOOKED,
        Appointment.ends_at > now).order_by(Appointment.starts_at, Appointment.id)),
        page, per_page)


def past_page(patient: Patient, now: datetime, page: int, per_page: int = 20) -> Page:
    """The patient's past and cancelled appointments, newest first."""
    return paginate(_with_details(select(Appointment).where(
        Appointment.patient_id == patient.id,
        (Appointment.status != BOOKED) | (Appointment.ends_at <= now))
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())), page, per_page)


def next_appointment(patient: Patient, now: datetime) -> Appointment | None:
    """The patient's next booked appointment, for the home page."""
    return db.session.scalar(_with_details(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status == BOOKED,
        Appointment.starts_at > now).order_by(Appointment.starts_at).limit(1)))


def find_appointment(patient: Patient, appointment_id: int) -> Appointment | None:
    """The patient's appointment `appointment_id`, or None (also when it is someone else's)."""
    return db.session.scalar(_with_details(select(Appointment).where(and_(
        Appointment.id == appointment_id, Appointment.patient_id == patient.id))))
