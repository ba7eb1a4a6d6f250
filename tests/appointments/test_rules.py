"""Cut-offs and windows at their boundaries, and slots across the summer-time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.appointments import checkin, services, setup
from portal.appointments.models import BOOKED, CANCELLED, Appointment, Slot
from portal.extensions import db
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import login_as, make_user, post_form

START = datetime(2030, 3, 12, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def appointment(book):
    return make_appointment(make_user().patient, make_slot(book, START), book.kind)


def test_cancelling_is_allowed_until_exactly_the_cut_off(appointment):
    deadline = START - timedelta(hours=24)
    assert services.change_deadline(appointment) == deadline
    assert services.may_change(appointment, deadline - SECOND)
    assert services.may_change(appointment, deadline)
    assert not services.may_change(appointment, deadline + SECOND)
    with pytest.raises(services.TooLate):
        services.cancel(appointment, None, deadline + SECOND)
    assert db.session.get(Appointment, appointment.id).status == BOOKED
    services.cancel(appointment, None, deadline)
    assert db.session.get(Appointment, appointment.id).status == CANCELLED


def test_moving_is_refused_after_the_cut_off_and_nothing_changes(book, appointment):
    other = make_slot(book, START + timedelta(days=1))
    with pytest.raises(services.TooLate):
        services.reschedule(appointment, other.id, None, START - timedelta(hours=24) + SECOND)
    assert [(a.slot_id, a.status) for a in db.session.scalars(select(Appointment))] == [
        (appointment.slot_id, BOOKED)]


def test_after_the_cut_off_the_page_offers_no_cancel_button(client, book):
    user = make_user()
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=23)
    appointment = make_appointment(user.patient, make_slot(book, soon), book.kind)
    login_as(client, user)
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "Cancel this appointment" not in page
    assert "It is too late to move or cancel" in page
    post_form(client, f"/appointments/{appointment.id}/cancel", {},
              page=f"/appointments/{appointment.id}/check-in")
    assert db.session.get(Appointment, appointment.id).status == BOOKED


def test_check_in_opens_the_set_number_of_days_before(clinic, appointment):
    clinic.check_in_days = 2
    db.session.commit()
    opens = START - timedelta(days=2)
    assert checkin.opens_at(appointment) == opens
    assert not checkin.may_check_in(appointment, opens - SECOND)
    assert checkin.may_check_in(appointment, opens)
    assert checkin.may_check_in(appointment, START - SECOND)
    assert not checkin.may_check_in(appointment, START)


@pytest.mark.parametrize("before, after, utc_before, utc_after", [
    # Summer time starts on Sunday 29 March 2026 and ends on Sunday 25 October 2026.
    (date(2026, 3, 24), date(2026, 3, 31), time(8, 0), time(7, 0)),
    (date(2026, 10, 20), date(2026, 10, 27), time(7, 0), time(8, 0)),
])
def test_a_weekly_series_stays_at_nine_local_across_summer_time(client, book, before, after,
                                                                 utc_before, utc_after):
    login_as(client, make_user(role="front_desk"))
    response = post_form(client, "/staff/appointments/slots/series", {
        "weekdays": ["1"], "first_day": before.isoformat(), "last_day": after.isoformat(),
        "from_time": "09:00", "to_time": "09:30", "every": "10",
        "practitioner": book.doctor.id, "location": book.place.id, "appointment_type": "0"},
        page="/staff/appointments/slots")
    assert response.status_code == 303
    starts = [s.starts_at for s in db.session.scalars(select(Slot).order_by(Slot.starts_at))]
    assert len(starts) == 6
    assert starts[0] == datetime.combine(before, utc_before, tzinfo=UTC)
    assert starts[3] == datetime.combine(after, utc_after, tzinfo=UTC)
    assert {services.local_moment(before, time(9)), services.local_moment(after, time(9))} <= \
        set(starts)
    day_view = client.get(f"/staff/appointments?day={after.isoformat()}").get_data(as_text=True)
    assert "09:00" in day_view and "09:20" in day_view and "10:00" not in day_view
    # The same series again adds nothing.
    post_form(client, "/staff/appointments/slots/series", {
        "weekdays": ["1"], "first_day": before.isoformat(), "last_day": after.isoformat(),
        "from_time": "09:00", "to_time": "09:30", "every": "10",
        "practitioner": book.doctor.id, "location": book.place.id, "appointment_type": "0"},
        page="/staff/appointments/slots")
    assert len(db.session.scalars(select(Slot)).all()) == 6


def test_a_closed_day_removes_free_slots_and_blocks_new_ones(client, book):
    day = date(2030, 5, 7)
    booked = make_slot(book, services.local_moment(day, time(9)))
    free = make_slot(book, services.local_moment(day, time(9, 10)))
    other_day = make_slot(book, services.local_moment(day + timedelta(days=1), time(9)))
    make_appointment(make_user().patient, booked, book.kind)
    booked_id, free_id, other_id = booked.id, free.id, other_day.id
    login_as(client, make_user(role="admin"))
    response = post_form(client, "/staff/appointments/closed-days",
                         {"day": day.isoformat(), "reason": "Training day"})
    assert response.status_code == 303
    ids = set(db.session.scalars(select(Slot.id)))
    assert free_id not in ids and {booked_id, other_id} <= ids
    page = client.get("/staff/appointments/closed-days").get_data(as_text=True)
    assert "Training day" in page and "1 appointment is still booked" in page
    refused = post_form(client, "/staff/appointments/slots", {
        "day": day.isoformat(), "start": "11:00", "duration": "10",
        "practitioner": book.doctor.id, "location": book.place.id, "appointment_type": "0"},
        page="/staff/appointments/slots")
    assert refused.status_code == 422
    assert "The clinic is closed on that day." in refused.get_data(as_text=True)
    assert setup.series_starts({day.weekday()}, day, day, time(9), time(10), 10, 10,
                               {day}) == []
