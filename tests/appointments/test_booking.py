"""A patient books, sees, moves and cancels appointments through the real pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.appointments import services
from portal.appointments.models import BOOKED, CANCELLED, Appointment
from portal.extensions import db
from portal.models import AuditEvent
from portal.types import utcnow
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import login_as, make_user, post_form


def test_a_patient_books_a_free_time_with_a_reason(client, book, outbox):
    user = make_user(locale="en")
    slot = make_slot(book, datetime(2030, 6, 4, 7, 30, tzinfo=UTC))  # 09:30 in Amsterdam
    login_as(client, user)
    calendar = client.get(f"/appointments/book?type={book.kind.id}&start=2030-06-04")
    text = calendar.get_data(as_text=True)
    assert "09:30" in text and "Dr Lotte Visser" in text
    confirm_url = f"/appointments/book/{slot.id}?type={book.kind.id}"
    assert f'href="{confirm_url.replace("&", "&amp;")}"' in text

    missing = post_form(client, f"/appointments/book/{slot.id}",
                        {"appointment_type": book.kind.id, "reason": ""}, page=confirm_url)
    assert missing.status_code == 422
    assert "Enter the reason for your appointment." in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Appointment.id))) == 0

    done = post_form(client, f"/appointments/book/{slot.id}",
                     {"appointment_type": book.kind.id, "reason": "My knee hurts"},
                     page=confirm_url)
    assert done.status_code == 303
    stored = db.session.scalar(select(Appointment))
    assert (stored.patient_id, stored.slot_id, stored.status, stored.reason) == (
        user.patient_id, slot.id, BOOKED, "My knee hurts")
    assert done.headers["Location"] == f"/appointments/{stored.id}"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "GP consultation" in page and "09:30" in page and "My knee hurts" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment-booked",
                                                      AuditEvent.patient_id == user.patient_id))
    # The slot is no longer offered to anyone.
    again = client.get(f"/appointments/book?type={book.kind.id}&start=2030-06-04")
    assert confirm_url.replace("&", "&amp;") not in again.get_data(as_text=True)


def test_the_confirmation_mail_names_time_and_place_but_not_the_reason(client, book, outbox):
    user = make_user(locale="en")
    slot = make_slot(book, datetime(2030, 6, 4, 7, 30, tzinfo=UTC))
    login_as(client, user)
    post_form(client, f"/appointments/book/{slot.id}",
              {"appointment_type": book.kind.id, "reason": "Embarrassing rash"},
              page=f"/appointments/book/{slot.id}")
    body = outbox.last_body(user.email)
    assert "09:30" in body and "Dr Lotte Visser" in body and "Main clinic" in body
    assert "June 2030" in body
    assert "rash" not in body.lower()


def test_another_patients_appointment_is_a_404_with_an_audit_line(client, book):
    owner = make_user()
    appointment = make_appointment(owner.patient, make_slot(book), book.kind,
                                   reason="Private matter")
    other = make_user()
    login_as(client, other)
    for url in (f"/appointments/{appointment.id}", f"/appointments/{appointment.id}/calendar.ics",
                f"/appointments/{appointment.id}/check-in",
                f"/appointments/{appointment.id}/reschedule"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Private matter" not in response.get_data(as_text=True)
    response = post_form(client, f"/appointments/{appointment.id}/cancel", {},
                         page="/appointments")
    assert response.status_code == 404
    assert db.session.get(Appointment, appointment.id).status == BOOKED
    denied = db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == other.id, AuditEvent.outcome == "denied")).all()
    assert f"appointment:{appointment.id}" in {event.target for event in denied}


def test_the_calendar_file_holds_the_time_in_utc_and_no_reason(client, book):
    user = make_user()
    start = datetime(2030, 11, 5, 8, 0, tzinfo=UTC)
    appointment = make_appointment(user.patient, make_slot(book, start), book.kind,
                                   reason="Secret worry")
    login_as(client, user)
    response = client.get(f"/appointments/{appointment.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + timedelta(minutes=10)
    assert "GP consultation" in str(event["summary"])
    assert "Main clinic" in str(event["location"])
    assert b"Secret worry" not in response.data
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "appointment-calendar-downloaded"))


def test_the_database_refuses_a_second_booking_of_a_slot(book):
    user = make_user()
    slot = make_slot(book)
    make_appointment(user.patient, slot, book.kind)
    with pytest.raises(IntegrityError):
        make_appointment(make_user().patient, slot, book.kind)
    db.session.rollback()
    # A cancelled appointment does not hold the slot.
    first = db.session.scalar(select(Appointment))
    services.cancel(first, None, utcnow())
    make_appointment(make_user().patient, slot, book.kind)
    assert db.session.scalar(select(func.count(Appointment.id))) == 2


def test_booking_a_taken_slot_says_so_and_stores_nothing(client, book):
    slot = make_slot(book)
    make_appointment(make_user().patient, slot, book.kind)
    user = make_user()
    login_as(client, user)
    response = post_form(client, f"/appointments/book/{slot.id}",
                         {"appointment_type": book.kind.id, "reason": "Cough"},
                         page="/appointments/book")
    assert response.status_code == 409
    assert "Please choose another time" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.patient_id == user.patient_id)) == 0


def test_moving_books_the_new_time_and_frees_the_old_together(client, book, outbox):
    user = make_user()
    old_slot, new_slot = make_slot(book), make_slot(book, utcnow().replace(microsecond=0)
                                                    + timedelta(days=6))
    appointment = make_appointment(user.patient, old_slot, book.kind)
    login_as(client, user)
    url = f"/appointments/{appointment.id}/reschedule/{new_slot.id}"
    assert "Move my appointment to this time" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {})
    assert response.status_code == 303
    # The same appointment, at the new time: nothing is listed as cancelled.
    rows = db.session.scalars(select(Appointment).order_by(Appointment.id)).all()
    assert [(a.id, a.slot_id, a.status) for a in rows] == [(appointment.id, new_slot.id, BOOKED)]
    assert rows[0].reason == appointment.reason
    assert services.find_free_slot(old_slot.id, utcnow()) is not None
    assert services.find_free_slot(new_slot.id, utcnow()) is None


def test_cancelling_through_the_page_frees_the_slot(client, book):
    user = make_user()
    slot = make_slot(book)
    appointment = make_appointment(user.patient, slot, book.kind)
    login_as(client, user)
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "Cancel this appointment" in page
    response = post_form(client, f"/appointments/{appointment.id}/cancel", {},
                         page=f"/appointments/{appointment.id}")
    assert response.status_code == 303
    assert db.session.get(Appointment, appointment.id).status == CANCELLED
    assert "You have no appointments coming up." in client.get("/appointments").get_data(
        as_text=True)
    assert "Cancelled" in client.get("/appointments/past").get_data(as_text=True)


def test_the_home_page_shows_the_next_appointment(client, book):
    user = make_user()
    make_appointment(user.patient, make_slot(book), book.kind)
    login_as(client, user)
    home = client.get("/home").get_data(as_text=True)
    assert "Next appointment" in home and "GP consultation" in home


def test_acting_for_someone_without_a_grant_shows_nothing_of_theirs(client, book):
    """Proxy access goes through the same gate: without a grant, another patient is a 404."""
    child = make_user()
    appointment = make_appointment(child.patient, make_slot(book), book.kind,
                                   reason="Child's visit")
    parent = make_user()
    login_as(client, parent)
    with client.session_transaction() as session:
        session["acting_for"] = child.patient_id
    for url in ("/appointments", f"/appointments/{appointment.id}", "/appointments/referrals"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Child's visit" not in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.actor_id == parent.id, AuditEvent.action == "denied:appointments",
        AuditEvent.patient_id == child.patient_id))
