"""Two patients press "Book" for the same slot at the same moment: exactly one gets it.

Each thread has its own test client, so each request runs in its own app context with
its own database session and connection, as two server workers would (this holds on
SQLite and on PostgreSQL alike).
"""

from __future__ import annotations

import re
import threading

from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.appointments.models import Appointment
from portal.extensions import db
from portal.models import AuditEvent
from tests.conftest import PASSWORD, make_user


def _sign_in(client: FlaskClient, username: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"csrf_token": token, "identifier": username,
                                             "password": PASSWORD})
    assert response.status_code == 303


def test_two_simultaneous_bookings_of_one_slot_give_one_appointment(app, book):
    from tests.appointments.conftest import make_slot

    slot = make_slot(book)
    users = [make_user(), make_user()]
    usernames = [u.username for u in users]
    url = f"/appointments/book/{slot.id}"
    db.session.commit()
    barrier = threading.Barrier(2, timeout=30)
    answers: list = [None, None]

    def attempt(i: int) -> None:
        client = FlaskClient(app, app.response_class, use_cookies=True)
        _sign_in(client, usernames[i])
        page = client.get(url).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        barrier.wait()
        response = client.post(url, data={"csrf_token": token, "reason": f"Reason {i}",
                                          "appointment_type": book.kind.id})
        answers[i] = (response.status_code, response.get_data(as_text=True))

    kind_id = book.kind.id  # loaded before the threads start
    assert kind_id
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [303, 409], statuses
    loser = next(body for status, body in answers if status == 409)
    assert "Please choose another time" in loser
    db.session.expire_all()
    rows = db.session.scalars(select(Appointment)).all()
    assert len(rows) == 1 and rows[0].slot_id == slot.id
    assert rows[0].reason in ("Reason 0", "Reason 1")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "appointment-booked")) == 1


def test_two_simultaneous_overlapping_bookings_give_one_appointment(app, book):
    """A 20-minute booking at 10:00 and a 10-minute one at 10:10, pressed at the same
    instant: they share no start slot, yet only one may stand."""
    from datetime import timedelta

    from portal.appointments.models import AppointmentType
    from tests.appointments.conftest import make_slot

    long_kind = AppointmentType(names={"en": "Long consultation"}, duration_minutes=20,
                                bookable_online=True, cancel_cutoff_hours=24, active=True)
    db.session.add(long_kind)
    db.session.commit()
    ten = make_slot(book)
    ten_ten = make_slot(book, ten.starts_at + timedelta(minutes=10))
    wanted = [(ten.id, long_kind.id), (ten_ten.id, book.kind.id)]
    usernames = [make_user().username, make_user().username]
    db.session.commit()
    barrier = threading.Barrier(2, timeout=30)
    answers: list = [None, None]

    def attempt(i: int) -> None:
        slot_id, kind_id = wanted[i]
        client = FlaskClient(app, app.response_class, use_cookies=True)
        _sign_in(client, usernames[i])
        url = f"/appointments/book/{slot_id}?type={kind_id}"
        page = client.get(url).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        barrier.wait()
        response = client.post(url, data={"csrf_token": token, "reason": f"Reason {i}",
                                          "appointment_type": kind_id})
        answers[i] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [303, 409], statuses
    db.session.expire_all()
    rows = db.session.scalars(select(Appointment).where(Appointment.status == "booked")).all()
    assert len(rows) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "appointment-booked")) == 1
