"""The rules of booking: which slots are free, booking, cancelling and moving appointments.

An appointment occupies every slot it overlaps (see `occupancy`): booking reserves them
in the same transaction, and the database refuses a second reservation of any slot,
however close together two requests arrive. The checks here only give a friendlier
answer in the common case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from portal import audit
from portal.appointments import occupancy
from portal.appointments.models import (
    BOOKED,
    CANCELLED,
    Appointment,
    AppointmentType,
    Practitioner,
    Slot,
)
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.types import utcnow

#: Days of free slots shown on one page of the booking calendar.
DAYS_PER_PAGE = 3
#: How often a booking is tried again when SQLite reports a lock it could not wait out.
LOCK_RETRIES = 3
#: How many free slots the calendar looks past for the first one a type fits in.
FIRST_FREE_LOOKAHEAD = 200


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


def free_slots(appointment_type: AppointmentType, now: datetime,
               moving: Appointment | None = None) -> Select:
    """Future free slots that `appointment_type` may start in (it may still not fit).

    For `moving`, the time it holds itself counts as free, but not its own start."""
    ignoring = moving.id if moving is not None else None
    statement = select(Slot).where(
        Slot.starts_at > now, ~occupancy.taken(ignoring),
        (Slot.appointment_type_id == appointment_type.id) | Slot.appointment_type_id.is_(None))
    if moving is not None:
        statement = statement.where(Slot.id != moving.slot_id)
    return (statement.options(joinedload(Slot.practitioner), joinedload(Slot.location))
            .order_by(Slot.starts_at, Slot.id))


def first_free_day(appointment_type: AppointmentType, now: datetime,
                   moving: Appointment | None = None) -> date | None:
    """The clinic's day of the first free time the type fits in, so the calendar opens
    where there is room (two queries)."""
    slots = db.session.scalars(free_slots(appointment_type, now, moving)
                               .limit(FIRST_FREE_LOOKAHEAD)).all()
    fitting = occupancy.keep_fitting(list(slots), appointment_type,
                                     moving.id if moving is not None else None)
    return local_day(fitting[0].starts_at) if fitting else (
        local_day(slots[0].starts_at) if slots else None)


def free_days(appointment_type: AppointmentType, first: date, now: datetime,
              days: int = DAYS_PER_PAGE,
              moving: Appointment | None = None) -> list[tuple[date, list[Slot]]]:
    """Free times on `days` days from `first` where `appointment_type` fits, grouped by
    the clinic's calendar day (two queries)."""
    start, end = day_bounds(first, days)
    slots = db.session.scalars(free_slots(appointment_type, now, moving)
                               .where(Slot.starts_at >= start, Slot.starts_at < end)).all()
    grouped: dict[date, list[Slot]] = {first + timedelta(days=i): [] for i in range(days)}
    for slot in occupancy.keep_fitting(list(slots), appointment_type,
                                       moving.id if moving is not None else None):
        grouped.setdefault(local_day(slot.starts_at), []).append(slot)
    return list(grouped.items())


def find_free_slot(slot_id: int, now: datetime, ignoring: int | None = None) -> Slot | None:
    """The slot if it is in the future and free (a slot appointment `ignoring` holds
    counts as free: it may move within its own time)."""
    return db.session.scalar(select(Slot).where(Slot.id == slot_id, Slot.starts_at > now,
                                                ~occupancy.taken(ignoring))
                             .options(joinedload(Slot.practitioner), joinedload(Slot.location),
                                      joinedload(Slot.appointment_type)))


def types_for_slot(slot: Slot, ignoring: int | None = None) -> list[AppointmentType]:
    """The types a patient may book in `slot`: open for it, and long enough from there."""
    if slot.appointment_type_id is not None:
        kind = slot.appointment_type
        kinds = [kind] if kind.active and kind.bookable_online else []
    else:
        kinds = online_types()
    if not kinds:
        return []
    rows = occupancy.neighbourhood([slot.practitioner_id], slot.starts_at,
                                   slot.starts_at + occupancy.longest(kinds), ignoring)
    return [k for k in kinds if occupancy.fits(slot, k, rows[slot.practitioner_id])]


def _new_appointment(patient: Patient, slot: Slot, kind: AppointmentType, reason: str,
                     actor: User | None) -> Appointment:
    appointment = Appointment(
        patient_id=patient.id, slot_id=slot.id, appointment_type_id=kind.id,
        starts_at=slot.starts_at, ends_at=slot.starts_at + timedelta(minutes=kind.duration_minutes),
        status=BOOKED, reason=reason.strip(), booked_by_id=actor.id if actor else None,
        booked_at=utcnow(), check_in={})
    db.session.add(appointment)
    db.session.flush()
    occupancy.reserve(appointment, slot, kind)
    return appointment


def _commit_or_taken(change) -> Appointment:
    """Run `change()` and commit; a clash on a slot becomes SlotTaken, with nothing kept.

    SQLite may refuse a writer whose snapshot went stale while another booked ("database
    is locked"); trying again then sees the other booking and answers SlotTaken.
    """
    for attempt in range(LOCK_RETRIES):
        try:
            appointment = change()
            db.session.commit()
            return appointment
        except (IntegrityError, occupancy.DoesNotFit):
            db.session.rollback()
            raise SlotTaken from None
        except OperationalError:
            db.session.rollback()
            if attempt == LOCK_RETRIES - 1:
                raise SlotTaken from None
    raise SlotTaken


def book(patient: Patient, slot_id: int, kind: AppointmentType, reason: str,
         actor: User | None, tell=None) -> Appointment:
    """Book slot `slot_id` for `patient`; raise SlotTaken when it is gone.

    `tell(appointment)` queues the e-mails about it, saved in the booking's own commit.
    """

    def change():
        slot = find_free_slot(slot_id, utcnow())
        if slot is None:
            raise SlotTaken
        appointment = _new_appointment(patient, slot, kind, reason, actor)
        audit.record(audit.Action.APPOINTMENT_BOOKED,
                     patient=patient, target=f"appointment:{appointment.id}")
        if tell is not None:
            tell(appointment)
        return appointment

    return _commit_or_taken(change)


def change_deadline(appointment: Appointment) -> datetime:
    """The last moment the patient may cancel or move the appointment."""
    return appointment.starts_at - timedelta(hours=appointment.appointment_type.cancel_cutoff_hours)


def may_change(appointment: Appointment, now: datetime) -> bool:
    """Booked, and not yet past the cut-off (the cut-off moment itself still counts)."""
    return appointment.status == BOOKED and now <= change_deadline(appointment)


def cancel(appointment: Appointment, actor: User | None, now: datetime, tell=None) -> None:
    """Cancel the appointment, which frees its slot; raise TooLate after the cut-off.
    `tell(appointment)` queues the e-mails, saved in the same commit."""
    if not may_change(appointment, now):
        raise TooLate
    _mark_cancelled(appointment, actor, now)
    audit.record(audit.Action.APPOINTMENT_CANCELLED, patient=appointment.patient_id,
                 target=f"appointment:{appointment.id}")
    if tell is not None:
        tell(appointment)
    db.session.commit()


def _mark_cancelled(appointment: Appointment, actor: User | None, now: datetime) -> None:
    occupancy.release(appointment)
    appointment.status = CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by_id = actor.id if actor else None


def reschedule(appointment: Appointment, slot_id: int, actor: User | None,
               now: datetime, tell=None) -> Appointment:
    """Move the appointment to slot `slot_id` in one transaction; it stays the same
    appointment (same calendar UID, one SEQUENCE higher) and remembers where it was.
    `tell(appointment)` queues the e-mails, saved in the same transaction."""
    if not may_change(appointment, now):
        raise TooLate
    appointment_id, kind = appointment.id, appointment.appointment_type

    def change():
        moving = db.session.get(Appointment, appointment_id)
        slot = find_free_slot(slot_id, utcnow(), ignoring=appointment_id)
        if slot is None or slot.id == moving.slot_id or moving.status != BOOKED:
            raise SlotTaken
        occupancy.release(moving)
        db.session.flush()
        occupancy.reserve(moving, slot, kind)
        previous = moving.starts_at
        moving.slot_id, moving.slot = slot.id, slot
        moving.starts_at = slot.starts_at
        moving.ends_at = slot.starts_at + timedelta(minutes=kind.duration_minutes)
        moving.sequence = (moving.sequence or 0) + 1
        moving.moved_from, moving.moved_at = previous, now
        moving.reminder_sent_at = None  # the reminder is for the new time
        audit.record(audit.Action.APPOINTMENT_RESCHEDULED, patient=moving.patient_id,
                     target=f"appointment:{appointment_id}")
        if tell is not None:
            tell(moving)
        return moving

    return _commit_or_taken(change)


def _with_details(statement: Select) -> Select:
    return statement.options(joinedload(Appointment.appointment_type),
                             joinedload(Appointment.checked_in_by),
                             joinedload(Appointment.slot).joinedload(Slot.practitioner),
                             joinedload(Appointment.slot).joinedload(Slot.location))


def upcoming_page(patient: Patient, now: datetime, page: int, per_page: int | None = None) -> Page:
    """The patient's booked appointments still to come, soonest first."""
    return paginate(_with_details(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status == BOOKED,
        Appointment.ends_at > now).order_by(Appointment.starts_at, Appointment.id)),
        page, per_page)


def past_page(patient: Patient, now: datetime, page: int, per_page: int | None = None) -> Page:
    """The patient's past and cancelled appointments, newest first."""
    return paginate(_with_details(select(Appointment).where(
        Appointment.patient_id == patient.id,
        (Appointment.status != BOOKED) | (Appointment.ends_at <= now))
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())), page, per_page)


def next_appointment(patient: Patient, now: datetime):
    """The patient's next booked appointment, for the home page: its id, start, the names
    of its type and its practitioner (a row of four columns, not three joined objects);
    None when nothing is booked."""
    return db.session.execute(_NEXT, {"patient_id": patient.id, "now": now}).first()


#: Built once: the home page asks it on every visit.
_NEXT = (select(Appointment.id, Appointment.starts_at,
                AppointmentType.names.label("type_names"),
                Practitioner.name.label("practitioner"))
         .join(Appointment.appointment_type).join(Appointment.slot).join(Slot.practitioner)
         .where(Appointment.patient_id == bindparam("patient_id"), Appointment.status == BOOKED,
                Appointment.starts_at > bindparam("now", type_=Appointment.starts_at.type))
         .order_by(Appointment.starts_at).limit(1))


def find_appointment(patient: Patient, appointment_id: int) -> Appointment | None:
    """The patient's appointment `appointment_id`, or None (also when it is someone else's)."""
    return db.session.scalar(_with_details(select(Appointment).where(and_(
        Appointment.id == appointment_id, Appointment.patient_id == patient.id))))
