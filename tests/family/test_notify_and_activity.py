"""Proxies get the content-free notices of their areas; the patient sees what proxies did."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.types import utcnow
from tests.conftest import login_as, make_user
from tests.family.helpers import child, child_data, grant, parent


@pytest.fixture
def in_request(app, clinic):
    """Mails are sent while a request is handled (their links need one)."""
    with app.test_request_context():
        yield


def _family(*permissions, consent=True):
    mother = parent(email="anna@mail.example", locale="en")
    son = child()
    son_user = make_user(patient=son, email="daan@mail.example", locale="en")
    grant(mother, son, list(permissions))
    return mother, son, son_user


def test_a_new_message_notice_goes_to_a_proxy_with_the_messages_permission(in_request, outbox):
    from portal.messages import notify

    mother, son, _ = _family("messages")
    stranger = parent(email="bills.only@mail.example")
    grant(stranger, son, ["billing"])
    assert notify.new_message(son) == 2
    body = outbox.last_body("anna@mail.example")
    assert "This e-mail is about Daan, for whom you act in the portal." in body
    assert "Hello Anna de Vries" in body
    assert "about Daan" not in outbox.last_body("daan@mail.example")
    assert outbox.to("bills.only@mail.example") == []


def test_a_proxy_who_turned_message_mails_off_gets_none(in_request, outbox):
    from portal.messages import notify

    mother, son, _ = _family("messages")
    mother.notifications = {"messages": False}
    db.session.commit()
    assert notify.new_message(son) == 1
    assert outbox.to("anna@mail.example") == []


def test_an_ended_grant_gets_no_notice(in_request, outbox):
    from portal.messages import notify

    mother, son, _ = _family("messages")
    from portal.family.models import ProxyGrant

    db.session.scalars(select(ProxyGrant)).one().status = "revoked"
    db.session.commit()
    assert notify.new_message(son) == 1
    assert outbox.to("anna@mail.example") == []


def test_a_statement_notice_goes_to_a_proxy_with_the_billing_permission(in_request, outbox):
    from portal.billing.notify import new_statement

    mother, son, _ = _family("billing")
    assert new_statement(son) == 2
    body = outbox.last_body("anna@mail.example")
    assert "about Daan" in body and "40" not in body


def test_a_form_notice_goes_to_a_proxy_with_the_appointments_permission(in_request, outbox):
    from portal.questionnaires.notify import form_requested

    mother, son, _ = _family("appointments")
    assert form_requested(son) == 2
    assert "about Daan" in outbox.last_body("anna@mail.example")


def test_appointment_mails_and_reminders_reach_a_proxy(in_request, outbox):
    from portal.appointments import notify
    from portal.appointments.models import AppointmentType, Location, Practitioner
    from tests.appointments.conftest import make_appointment, make_slot

    mother, son, _ = _family("appointments")
    book = SimpleNamespace(
        kind=AppointmentType(names={"en": "GP consultation"}, duration_minutes=10,
                             bookable_online=True, cancel_cutoff_hours=24, active=True),
        doctor=Practitioner(name="Dr Visser", active=True),
        place=Location(name="Main clinic", active=True))
    db.session.add_all([book.kind, book.doctor, book.place])
    db.session.commit()
    slot = make_slot(book, starts_at=utcnow().replace(microsecond=0) + timedelta(hours=3))
    appointment = make_appointment(son, slot, book.kind, reason="Ear ache")
    assert notify.send_confirmation(appointment)
    body = outbox.last_body("anna@mail.example")
    assert body.startswith("Hello Anna de Vries,") and "about Daan" in body
    assert "Ear ache" not in body
    outbox.clear()
    mother.notifications = {"appointments": False}
    db.session.commit()
    counts = notify.send_reminders()
    assert counts["sent"] == 1
    assert outbox.to("daan@mail.example") and outbox.to("anna@mail.example") == []


def test_who_viewed_my_record_shows_a_proxy_with_the_relationship(app, client, clinic):
    mother, son, son_user = _family("records", "messages")
    data = child_data(son, mother)
    login_as(client, mother)
    assert client.get("/record/results").status_code == 200
    assert client.get(f"/messages/{data.thread}").status_code == 200
    own = app.test_client()
    login_as(own, son_user)
    page = own.get("/record/activity").get_data(as_text=True)
    assert "Anna de Vries <span class=\"hint\">(Parent, acting for you)</span>" in page
    assert "Looked at the list of results" in page
    assert "Read a conversation with the clinic" in page


def test_an_ended_grant_shows_in_who_viewed_my_record(app, client, clinic):
    from portal.family import services

    mother, son, son_user = _family("records")
    login_as(client, mother)
    client.get("/record")
    staff = make_user(role="front_desk", display_name="Ada Desk")
    from portal.family.models import ProxyGrant

    access = db.session.scalars(select(ProxyGrant)).one()
    services.end_by_staff(access, staff, "Asked by the family")
    own = app.test_client()
    login_as(own, son_user)
    page = unescape(own.get("/record/activity").get_data(as_text=True))
    assert "Ended someone's access to act for you" in page and "Ada Desk" in page
    assert "Asked by the family" not in page
    assert "Looked at the overview of the record" in page


def test_a_proxy_reads_the_childs_statement_as_the_child_would(client, clinic):
    mother, son, _ = _family("billing")
    data = child_data(son, mother)
    login_as(client, mother)
    page = client.get(f"/billing/statements/{data.statement}").get_data(as_text=True)
    assert "Consultation" in page and "Daan de Vries" in page
