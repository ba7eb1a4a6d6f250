"""Fixtures of the appointments tests: a clinic with a type, a practitioner and a place."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal.appointments.models import (
    BOOKED,
    Appointment,
    AppointmentType,
    Location,
    Practitioner,
    Slot,
    SlotReservation,
)
from portal.extensions import db
from portal.types import utcnow


@pytest.fixture
def book(clinic):
    """One online type (24-hour cut-off), a practitioner and a place."""
    kind = AppointmentType(names={"en": "GP consultation", "nl": "Consult huisarts",
                                  "pl": "Wizyta"}, duration_minutes=10, bookable_online=True,
                           cancel_cutoff_hours=24, active=True)
    doctor = Practitioner(name="Dr Lotte Visser", active=True)
    place = Location(name="Main clinic", address="Teststraat 1, Amsterdam", active=True)
    db.session.add_all([kind, doctor, place])
    db.session.commit()
    return SimpleNamespace(kind=kind, doctor=doctor, place=place)


def make_slot(book, starts_at=None, kind=None) -> Slot:
    starts_at = starts_at or utcnow().replace(microsecond=0) + timedelta(days=5)
    slot = Slot(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=10),
                practitioner_id=book.doctor.id, location_id=book.place.id,
                appointment_type_id=kind.id if kind else None)
    db.session.add(slot)
    db.session.commit()
    return slot


def make_appointment(patient, slot, kind, reason="Sore throat", **values) -> Appointment:
    appointment = Appointment(patient_id=patient.id, slot_id=slot.id,
                              appointment_type_id=kind.id, starts_at=slot.starts_at,
                              ends_at=slot.ends_at, status=values.pop("status", BOOKED),
                              reason=reason, check_in={}, **values)
    db.session.add(appointment)
    db.session.flush()
    if appointment.status == BOOKED:
        db.session.add(SlotReservation(slot_id=slot.id, appointment_id=appointment.id))
    db.session.commit()
    return appointment
