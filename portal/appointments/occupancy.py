"""Which slots an appointment occupies: the one it starts in and each later one it runs into.

An appointment of a type longer than its slot (a 20-minute long consultation in ten-minute
slots) needs the practitioner's following slots too: free, open for its type, and with no
gap between them. Booking reserves each of them with a `SlotReservation` row in the same
transaction; the primary key on the slot makes the database refuse a second booking of
any of them, however close together two requests arrive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from portal.appointments.models import (
    BOOKED,
    Appointment,
    AppointmentType,
    Slot,
    SlotReservation,
)
from portal.extensions import db


class DoesNotFit(Exception):
    """The practitioner's free time from this slot is too short for the appointment."""


def taken(ignoring: int | None = None):
    """SQL: the slot is occupied (by an appointment other than `ignoring`)."""
    reserved = exists().where(SlotReservation.slot_id == Slot.id)
    started = exists().where(Appointment.slot_id == Slot.id, Appointment.status == BOOKED)
    if ignoring is not None:
        reserved = exists().where(SlotReservation.slot_id == Slot.id,
                                  SlotReservation.appointment_id != ignoring)
        started = exists().where(Appointment.slot_id == Slot.id, Appointment.status == BOOKED,
                                 Appointment.id != ignoring)
    return reserved | started


def admits(slot: Slot, kind: AppointmentType) -> bool:
    """The slot is open for any type, or for this one."""
    return slot.appointment_type_id is None or slot.appointment_type_id == kind.id


def occupied(start: Slot, kind: AppointmentType, rows: Iterable[tuple[Slot, bool]]) -> list[Slot]:
    """The slots an appointment of `kind` starting in `start` would occupy.

    `rows` are (slot, taken) of the practitioner around that time, in order of start.
    Raises DoesNotFit when one of them is taken or not open for the type, or when the
    practitioner's slots stop (a gap, or the end of the session) before the visit would.
    """
    end = start.starts_at + timedelta(minutes=kind.duration_minutes)
    covered_until, needed = start.starts_at, []
    for slot, is_taken in rows:
        if slot.practitioner_id != start.practitioner_id or slot.ends_at <= start.starts_at \
                or slot.starts_at >= end:
            continue
        if is_taken or not admits(slot, kind):
            raise DoesNotFit
        if slot.starts_at > covered_until and covered_until < end:
            raise DoesNotFit  # a gap: the practitioner is not free in between
        covered_until = max(covered_until, slot.ends_at)
        needed.append(slot)
    if covered_until < end or start not in needed:
        raise DoesNotFit
    return needed


def fits(start: Slot, kind: AppointmentType, rows: Iterable[tuple[Slot, bool]]) -> bool:
    """Whether an appointment of `kind` fits from `start` (see `occupied`)."""
    try:
        occupied(start, kind, rows)
    except DoesNotFit:
        return False
    return True


def neighbourhood(practitioner_ids: Iterable[int], since: datetime, until: datetime,
                  ignoring: int | None = None) -> dict[int, list[tuple[Slot, bool]]]:
    """(slot, taken) of the practitioners' slots that overlap [since, until), per
    practitioner, in order of start (one query)."""
    rows = db.session.execute(
        select(Slot, taken(ignoring)).where(Slot.practitioner_id.in_(set(practitioner_ids)),
                                            Slot.starts_at < until, Slot.ends_at > since)
        .order_by(Slot.starts_at, Slot.id)).all()
    found: dict[int, list[tuple[Slot, bool]]] = defaultdict(list)
    for slot, is_taken in rows:
        found[slot.practitioner_id].append((slot, bool(is_taken)))
    return found


def longest(kinds: Iterable[AppointmentType]) -> timedelta:
    return timedelta(minutes=max((k.duration_minutes for k in kinds), default=0))


def keep_fitting(slots: list[Slot], kind: AppointmentType,
                 ignoring: int | None = None) -> list[Slot]:
    """Of free `slots`, those where an appointment of `kind` fits (one query); the slots
    appointment `ignoring` holds count as free (it is the one being moved)."""
    if not slots:
        return []
    rows = neighbourhood({s.practitioner_id for s in slots}, min(s.starts_at for s in slots),
                         max(s.starts_at for s in slots) + longest([kind]), ignoring)
    return [s for s in slots if fits(s, kind, rows[s.practitioner_id])]


def reserve(appointment: Appointment, start: Slot, kind: AppointmentType) -> list[Slot]:
    """Reserve every slot the appointment occupies, inside the caller's transaction.

    Raises DoesNotFit when they are not all free now; the primary key refuses (an
    IntegrityError at flush) a reservation someone else made a moment ago.
    """
    rows = neighbourhood([start.practitioner_id], start.starts_at,
                         start.starts_at + longest([kind]), ignoring=appointment.id)
    needed = occupied(start, kind, rows[start.practitioner_id])
    db.session.add_all(SlotReservation(slot_id=slot.id, appointment_id=appointment.id)
                       for slot in needed)
    db.session.flush()
    return needed


def release(appointment: Appointment) -> None:
    """Free every slot the appointment occupied (when it is cancelled or moved)."""
    db.session.execute(delete(SlotReservation)
                       .where(SlotReservation.appointment_id == appointment.id)
                       .execution_options(synchronize_session=False))
