"""An appointment occupies its whole length; moving keeps it; cancelling asks first.

Oliver books a 20-minute long consultation at 10:00 in ten-minute slots: Sanne must not
get the 10:10 slot with the same clinician, and a time too short for a type is not
offered for it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.appointments import services
from portal.appointments.models import BOOKED, CANCELLED, Appointment, AppointmentType, Practitioner
from portal.extensions import db
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import login_as, make_patient, make_user, post_form

#: 10:00 in Amsterdam (summer time) on a day far enough ahead to move and cancel.
TEN = datetime(2030, 6, 4, 8, 0, tzinfo=UTC)
DAY = "2030-06-04"


@pytest.fixture
def long_kind(book):
    kind = AppointmentType(names={"en": "Long consultation", "nl": "Dubbel consult",
                                  "pl": "Dłuższa wizyta"}, duration_minutes=20,
                           bookable_online=True, cancel_cutoff_hours=24, active=True)
    db.session.add(kind)
    db.session.commit()
    return kind


def _morning(book, count=3, start=TEN):
    """Ten-minute slots with the doctor from `start`, one after the other."""
    return [make_slot(book, start + timedelta(minutes=10 * i)) for i in range(count)]


def _book(client, slot, kind, reason="Reason"):
    return post_form(client, f"/appointments/book/{slot.id}",
                     {"appointment_type": kind.id, "reason": reason},
                     page=f"/appointments/book/{slot.id}?type={kind.id}")


def _offered(client, kind) -> str:
    return client.get(f"/appointments/book?type={kind.id}&start={DAY}").get_data(as_text=True)


def test_a_long_consultation_keeps_the_next_slot_from_others(app, client, book, long_kind):
    ten, ten_ten, ten_twenty = _morning(book)
    oliver = make_user(patient=make_patient(given_name="Oliver"))
    sanne = make_user(patient=make_patient(given_name="Sanne"))
    login_as(client, oliver)
    assert _book(client, ten, long_kind, "Check-up").status_code == 303

    client = app.test_client()
    login_as(client, sanne)
    calendar = _offered(client, book.kind)
    assert f"/appointments/book/{ten_ten.id}" not in calendar
    assert f"/appointments/book/{ten_twenty.id}" in calendar
    refused = _book(client, ten_ten, book.kind, "Knee")
    assert refused.status_code == 409
    assert "choose another time" in refused.get_data(as_text=True)
    rows = db.session.scalars(select(Appointment)).all()
    assert [(a.patient_id, a.slot_id) for a in rows] == [(oliver.patient_id, ten.id)]
    # The database holds the rule too: a second reservation of 10:10 is refused.
    with pytest.raises(services.SlotTaken):
        services.book(sanne.patient, ten_ten.id, book.kind, "Knee", None)
    assert _book(client, ten_twenty, book.kind, "Knee").status_code == 303


def test_the_day_view_shows_the_slots_a_long_appointment_runs_into(client, book, long_kind):
    ten, ten_ten, _ = _morning(book)
    oliver = make_user(patient=make_patient(given_name="Oliver"))
    services.book(oliver.patient, ten.id, long_kind, "Check-up", None)
    login_as(client, make_user(role="front_desk", patient=None))
    page = client.get(f"/staff/appointments?day={DAY}").get_data(as_text=True)
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    ten_ten_row = next(r for r in rows if "10:10" in r)
    assert oliver.patient.full_name in ten_ten_row and "Free" not in ten_ten_row


def test_a_time_too_short_for_the_type_is_not_offered_for_it(client, book, long_kind):
    ten, ten_ten, ten_twenty = _morning(book)
    later = make_slot(book, TEN + timedelta(hours=2))  # alone: 12:00-12:10, then nothing
    make_appointment(make_user().patient, ten_ten, book.kind)
    login_as(client, make_user())
    long_calendar = _offered(client, long_kind)
    # 10:00 runs into the booked 10:10; 10:20 and 12:00 end the doctor's session.
    for slot in (ten, ten_twenty, later):
        assert f"/appointments/book/{slot.id}?" not in long_calendar
    assert "No free times on this day." in long_calendar
    short_calendar = _offered(client, book.kind)
    for slot in (ten, ten_twenty, later):
        assert f"/appointments/book/{slot.id}?" in short_calendar
    # Asked for directly, the long type is not among the choices.
    confirm = client.get(f"/appointments/book/{ten.id}?type={long_kind.id}")
    assert "Long consultation" not in confirm.get_data(as_text=True)
    refused = _book(client, ten, long_kind)
    assert refused.status_code in (409, 422)
    assert db.session.scalar(select(Appointment).where(
        Appointment.appointment_type_id == long_kind.id)) is None


def test_a_long_appointment_needs_the_same_clinician_without_a_gap(client, book, long_kind):
    other = Practitioner(name="Dr Other", active=True)
    db.session.add(other)
    db.session.commit()
    ten = make_slot(book, TEN)
    others_ten_ten = make_slot(book, TEN + timedelta(minutes=10))
    others_ten_ten.practitioner_id = other.id
    db.session.commit()
    login_as(client, make_user())
    assert f"/appointments/book/{ten.id}?" not in _offered(client, long_kind)


def test_cancelling_a_long_appointment_frees_every_slot_it_held(client, book, long_kind):
    ten, ten_ten, _ = _morning(book)
    user = make_user()
    appointment = services.book(user.patient, ten.id, long_kind, "Check-up", None)
    login_as(client, user)
    assert post_form(client, f"/appointments/{appointment.id}/cancel", {},
                     page=f"/appointments/{appointment.id}/cancel").status_code == 303
    assert db.session.get(Appointment, appointment.id).status == CANCELLED
    assert services.find_free_slot(ten.id, services.utcnow()) is not None
    assert services.find_free_slot(ten_ten.id, services.utcnow()) is not None


def test_cancelling_asks_once_on_its_own_page(client, book):
    user = make_user()
    appointment = make_appointment(user.patient, make_slot(book, TEN), book.kind)
    login_as(client, user)
    detail = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    # The appointment's page has no form that cancels straight away.
    assert f'action="/appointments/{appointment.id}/cancel"' not in detail
    assert f'href="/appointments/{appointment.id}/cancel"' in detail
    question = client.get(f"/appointments/{appointment.id}/cancel")
    text = question.get_data(as_text=True)
    assert question.status_code == 200 and "Cancel your appointment?" in text
    assert f'action="/appointments/{appointment.id}/cancel"' in text and "No, keep it" in text
    assert db.session.get(Appointment, appointment.id).status == BOOKED  # asking changes nothing
    done = post_form(client, f"/appointments/{appointment.id}/cancel", {},
                     page=f"/appointments/{appointment.id}/cancel")
    assert done.status_code == 303
    assert db.session.get(Appointment, appointment.id).status == CANCELLED


def test_moving_keeps_the_appointment_and_says_from_when_to_when(client, book, long_kind,
                                                                   outbox):
    ten, ten_ten, ten_twenty = _morning(book)
    afternoon = _morning(book, 2, TEN + timedelta(days=1, hours=4))  # 14:00 the next day
    user = make_user(locale="en")
    appointment = services.book(user.patient, ten.id, long_kind, "Check-up", None)
    login_as(client, user)
    before = Calendar.from_ical(client.get(f"/appointments/{appointment.id}/calendar.ics").data)
    uid = str(before.walk("VEVENT")[0]["uid"])
    assert before.walk("VEVENT")[0].get("sequence") == 0

    url = f"/appointments/{appointment.id}/reschedule/{afternoon[0].id}"
    moved = post_form(client, url, {})
    assert moved.status_code == 303
    assert moved.headers["Location"] == f"/appointments/{appointment.id}"
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "moved from" in page and "10:00" in page and "14:00" in page
    # One appointment, at the new time, holding both afternoon slots; the morning is free.
    stored = db.session.scalars(select(Appointment)).all()
    assert [(a.id, a.slot_id, a.status, a.sequence) for a in stored] == [
        (appointment.id, afternoon[0].id, BOOKED, 1)]
    assert stored[0].ends_at - stored[0].starts_at == timedelta(minutes=20)
    assert services.find_free_slot(afternoon[1].id, services.utcnow()) is None
    for slot in (ten, ten_ten):
        assert services.find_free_slot(slot.id, services.utcnow()) is not None
    # Listed as moved, never as cancelled.
    listed = client.get("/appointments").get_data(as_text=True)
    assert "Booked, moved from" in listed
    assert "Cancelled" not in client.get("/appointments/past").get_data(as_text=True)
    # The calendar file replaces the event: same UID, higher SEQUENCE.
    after = Calendar.from_ical(client.get(f"/appointments/{appointment.id}/calendar.ics").data)
    event = after.walk("VEVENT")[0]
    assert str(event["uid"]) == uid and event.get("sequence") == 1
    assert event.decoded("dtstart") == afternoon[0].starts_at
    body = outbox.last_body(user.email)
    assert "moved from" in body and "10:00" in body and "14:00" in body


def test_a_long_appointment_may_move_into_its_own_time(client, book, long_kind):
    ten, ten_ten, ten_twenty = _morning(book)
    user = make_user()
    appointment = services.book(user.patient, ten.id, long_kind, "Check-up", None)
    moved = services.reschedule(appointment, ten_ten.id, None, services.utcnow())
    assert (moved.id, moved.slot_id) == (appointment.id, ten_ten.id)
    assert services.find_free_slot(ten.id, services.utcnow()) is not None
    assert services.find_free_slot(ten_twenty.id, services.utcnow()) is None


def test_closing_the_day_keeps_every_slot_a_booked_appointment_holds(book, long_kind):
    from portal.appointments import setup
    from portal.appointments.models import Slot

    ten, ten_ten, ten_twenty = _morning(book)
    services.book(make_user().patient, ten.id, long_kind, "Check-up", None)
    removed, still_booked = setup.close_day(services.local_day(TEN), "Training")
    assert (removed, still_booked) == (1, 1)
    left = set(db.session.scalars(select(Slot.id)))
    assert left == {ten.id, ten_ten.id}


def test_moving_offers_the_time_the_appointment_holds_itself(client, book, long_kind):
    ten, ten_ten, ten_twenty = _morning(book)
    user = make_user()
    appointment = services.book(user.patient, ten.id, long_kind, "Check-up", None)
    login_as(client, user)
    page = client.get(f"/appointments/{appointment.id}/reschedule?start={DAY}").get_data(
        as_text=True)
    # 10:10 is held by this very appointment: moving there is offered (10:10-10:30);
    # its own start, 10:00, is not; 10:20 would run past the doctor's last slot.
    assert f'/appointments/{appointment.id}/reschedule/{ten_ten.id}"' in page
    assert f'/appointments/{appointment.id}/reschedule/{ten.id}"' not in page
    assert f'/appointments/{appointment.id}/reschedule/{ten_twenty.id}"' not in page
