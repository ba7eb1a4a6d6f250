"""Demo data of the appointments area, loaded by `flask portal demo` (must be safe to run twice)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from portal.appointments import occupancy, services, setup
from portal.appointments.models import (
    BOOKED,
    Appointment,
    AppointmentType,
    Location,
    Practitioner,
    Referral,
    Slot,
)
from portal.extensions import db
from portal.models import Patient, User
from portal.types import utcnow

TYPES = [
    ({"en": "GP consultation", "nl": "Consult huisarts", "pl": "Wizyta u lekarza rodzinnego"},
     10, True, 24),
    ({"en": "Long consultation", "nl": "Dubbel consult", "pl": "Dłuższa wizyta"}, 20, True, 24),
    ({"en": "Blood test", "nl": "Bloedafname", "pl": "Pobranie krwi"}, 10, True, 2),
    ({"en": "Minor surgery", "nl": "Kleine ingreep", "pl": "Drobny zabieg"}, 30, False, 48),
]


def _slot_at(day: date, at: time, practitioner: Practitioner, location: Location) -> Slot:
    start = services.local_moment(day, at)
    slot = Slot(starts_at=start, ends_at=start + timedelta(minutes=10),
                practitioner_id=practitioner.id, location_id=location.id)
    db.session.add(slot)
    db.session.flush()
    return slot


def _book(patient: Patient, slot: Slot, kind: AppointmentType, reason: str, **values) -> None:
    appointment = Appointment(
        patient_id=patient.id, slot_id=slot.id, appointment_type_id=kind.id,
        starts_at=slot.starts_at, ends_at=slot.starts_at + timedelta(minutes=kind.duration_minutes),
        status=values.pop("status", BOOKED), reason=reason, booked_at=utcnow(), check_in={},
        **values)
    db.session.add(appointment)
    db.session.flush()
    if appointment.status == BOOKED:
        occupancy.reserve(appointment, slot, kind)


def load(patients: dict[str, Patient], staff: dict[str, User]) -> None:
    """Add this area's demo data; `patients` by patient number, `staff` by username."""
    if db.session.scalar(select(AppointmentType.id).limit(1)) is not None:
        return
    kinds = [AppointmentType(names=names, duration_minutes=minutes, bookable_online=online,
                             cancel_cutoff_hours=cutoff, active=True)
             for names, minutes, online, cutoff in TYPES]
    jansen = Practitioner(name="Dr Pieter Jansen", active=True)
    nurse = Practitioner(name="Nurse Ilse Bakker", active=True)
    main = Location(name="Linden Health Centre", address="Lindengracht 21, Amsterdam",
                    active=True)
    db.session.add_all([*kinds, jansen, nurse, main])
    db.session.flush()
    today = services.local_day(utcnow())
    # Three weeks of mornings with the doctor and two afternoons of blood tests.
    for who, weekdays, start, end, kind in ((jansen, {0, 1, 2, 3, 4}, time(9), time(11), None),
                                            (nurse, {1, 3}, time(14), time(15), kinds[2].id)):
        starts = setup.series_starts(weekdays, today + timedelta(days=1),
                                     today + timedelta(days=21), start, end, 10, 10, set())
        db.session.add_all(Slot(starts_at=s, ends_at=s + timedelta(minutes=10),
                                practitioner_id=who.id, location_id=main.id,
                                appointment_type_id=kind) for s in starts)
    db.session.flush()
    oliver, sanne = patients["P-100001"], patients["P-100006"]
    _book(oliver, _slot_at(today + timedelta(days=2), time(16), jansen, main), kinds[0],
          "Check-up of my blood pressure")
    _book(sanne, _slot_at(today + timedelta(days=4), time(16), jansen, main), kinds[0],
          "Pijn in mijn knie")
    daan = patients.get("P-100007")  # his mother books for him (the family demo)
    if daan is not None:
        _book(daan, _slot_at(today + timedelta(days=2), time(16, 30), jansen, main), kinds[0],
              "Ear check after the infection")
    past = _slot_at(today - timedelta(days=30), time(9, 30), jansen, main)
    _book(oliver, past, kinds[0], "Cough that would not go away")
    db.session.add(Referral(patient_id=oliver.id, referred_to="Cardiology, OLVG Hospital",
                            reason="To look at your heart rhythm.", status="sent",
                            referred_on=today - timedelta(days=20),
                            created_by_id=staff["dr.jansen"].id if "dr.jansen" in staff
                            else None))
