"""The clinic's side of booking: types, practitioners, locations, open slots, closed days.

Recurring slots are laid out in the clinic's wall-clock time and only then turned into
UTC, so a Tuesday 09:00 series stays at 09:00 on both sides of a summer-time change.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.appointments.models import (
    BOOKED,
    Appointment,
    AppointmentType,
    ClosedDay,
    Location,
    Practitioner,
    Slot,
    SlotReservation,
)
from portal.appointments.services import day_bounds, local_day, local_moment
from portal.extensions import db
from portal.models import ClinicSettings

#: The most slots one recurring series may open (a year of ten-minute slots, five days a week).
MAX_SERIES = 6000


def all_types() -> list[AppointmentType]:
    return list(db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)))


def practitioners() -> list[Practitioner]:
    return list(db.session.scalars(select(Practitioner).order_by(Practitioner.name)))


def locations() -> list[Location]:
    return list(db.session.scalars(select(Location).order_by(Location.name)))


def save_type(kind: AppointmentType | None, values: dict) -> AppointmentType:
    """Create a type, or change one."""
    kind = kind or AppointmentType()
    for key, value in values.items():
        setattr(kind, key, value)
    db.session.add(kind)
    db.session.flush()
    audit.record(audit.Action.APPOINTMENT_TYPE_SAVED, target=f"appointment-type:{kind.id}")
    db.session.commit()
    return kind


def save_settings(reminder_hours: int, check_in_days: int) -> None:
    """Store when reminders go out and when check-in opens."""
    clinic = db.session.scalar(select(ClinicSettings).limit(1))
    clinic.reminder_hours, clinic.check_in_days = reminder_hours, check_in_days
    audit.record(audit.Action.APPOINTMENT_SETTINGS_SAVED,
                 target=f"reminder_hours={reminder_hours},check_in_days={check_in_days}")
    db.session.commit()


def add_practitioner(name: str) -> Practitioner:
    found = Practitioner(name=name.strip(), active=True)
    db.session.add(found)
    db.session.commit()
    return found


def add_location(name: str, address: str) -> Location:
    found = Location(name=name.strip(), address=address.strip(), active=True)
    db.session.add(found)
    db.session.commit()
    return found


def closed_days(since: date) -> list[ClosedDay]:
    return list(db.session.scalars(select(ClosedDay).where(ClosedDay.day >= since)
                                   .order_by(ClosedDay.day)))


def is_closed(day: date) -> bool:
    return db.session.scalar(select(exists().where(ClosedDay.day == day)))


def _taken_starts(practitioner_id: int, first: date, last: date) -> set:
    start, end = day_bounds(first, (last - first).days + 1)
    return set(db.session.scalars(select(Slot.starts_at).where(
        Slot.practitioner_id == practitioner_id, Slot.starts_at >= start, Slot.starts_at < end)))


def series_starts(weekdays: set[int], first: date, last: date, start: time, end: time,
                  every: int, duration: int, closed: set[date]) -> list:
    """The UTC starts of a series: each chosen weekday, from `start` while a slot of
    `duration` minutes still ends by `end`, every `every` minutes, skipping closed days."""
    starts = []
    day = first
    while day <= last:
        if day.weekday() in weekdays and day not in closed:
            minute = start.hour * 60 + start.minute
            while minute + duration <= end.hour * 60 + end.minute:
                starts.append(local_moment(day, time(minute // 60, minute % 60)))
                minute += every
        day += timedelta(days=1)
    return starts


def open_slots(starts: list, duration: int, practitioner_id: int, location_id: int,
               type_id: int | None) -> int:
    """Add slots at `starts` (UTC) for the practitioner; ones that exist already are kept.

    Returns how many were added.
    """
    if not starts:
        return 0
    taken = _taken_starts(practitioner_id, local_day(min(starts)), local_day(max(starts)))
    new = [Slot(starts_at=s, ends_at=s + timedelta(minutes=duration),
                practitioner_id=practitioner_id, location_id=location_id,
                appointment_type_id=type_id) for s in starts if s not in taken]
    db.session.add_all(new)
    audit.record(audit.Action.APPOINTMENT_SLOTS_OPENED,
                 target=f"practitioner:{practitioner_id}:{len(new)}")
    db.session.commit()
    return len(new)


def close_day(day: date, reason: str) -> tuple[int, int]:
    """Close the clinic on `day`: its free slots go; booked ones stay for staff to move.

    Returns (free slots removed, appointments still booked that day).
    """
    start, end = day_bounds(day)
    on_day = and_(Slot.starts_at >= start, Slot.starts_at < end)
    booked = exists().where(Appointment.slot_id == Slot.id) | exists().where(
        SlotReservation.slot_id == Slot.id)
    removed = db.session.execute(delete(Slot).where(on_day, ~booked)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.add(ClosedDay(day=day, reason=reason.strip()))
    audit.record(audit.Action.CLINIC_DAY_CLOSED, target=f"closed-day:{day.isoformat()}")
    db.session.commit()
    count = db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.status == BOOKED, Appointment.starts_at >= start,
        Appointment.starts_at < end)) or 0
    return removed, count


def day_schedule(day: date) -> list[tuple[Slot, Appointment | None]]:
    """Every slot of the clinic's day with the booked appointment that occupies it, if any:
    the one starting in it, or a longer one running on from an earlier slot (one query)."""
    start, end = day_bounds(day)
    rows = db.session.execute(
        select(Slot, Appointment)
        .outerjoin(SlotReservation, SlotReservation.slot_id == Slot.id)
        .outerjoin(Appointment, and_(Appointment.id == SlotReservation.appointment_id,
                                     Appointment.status == BOOKED))
        .where(Slot.starts_at >= start, Slot.starts_at < end)
        .options(joinedload(Slot.practitioner), joinedload(Slot.location),
                 joinedload(Slot.appointment_type), joinedload(Appointment.patient),
                 joinedload(Appointment.appointment_type), joinedload(Appointment.checked_in_by))
        .order_by(Slot.starts_at, Slot.id)).unique().all()
    return [(slot, appointment) for slot, appointment in rows]
