"""The permission matrix: a proxy holding one permission, against every area's routes.

With the permission the page is served (and shows the child's things); without it the
answer is the 404 of a missing page, and the refusal is in the audit trail naming the
proxy and the child. Revoked and expired grants lose everything from the next request.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.family import services
from portal.family.rules import clinic_today
from portal.models import AuditEvent
from tests.conftest import login_as, post_form
from tests.family.helpers import child, child_data, denied, grant, parent

PERMISSIONS = ("records", "messages", "appointments", "billing", "account")

#: area (the permission it needs) -> routes; "{...}" is filled from the child's data.
ROUTES = {
    "records": ["/record", "/record/results", "/record/visits", "/record/medications",
                "/record/immunizations", "/record/documents", "/record/documents/{document}",
                "/record/download", "/record/download?scope=all&format=fhir",
                "/record/activity"],
    "messages": ["/messages", "/messages/new", "/messages/{thread}",
                 "/messages/{thread}/files/{attachment}"],
    "appointments": ["/appointments", "/appointments/past", "/appointments/referrals",
                     "/appointments/book", "/forms"],
    "billing": ["/billing", "/billing/payments", "/billing/insurance",
                "/billing/statements/{statement}"],
    "account": ["/family/{child}/details"],
}
CASES = [(permission, area, route) for permission in PERMISSIONS
         for area, routes in ROUTES.items() for route in routes]


@pytest.fixture
def family(client, clinic):
    """A parent signed in, and her child with a document, a conversation and a bill."""
    mother, son = parent(), child()
    data = child_data(son, mother)
    return mother, son, data


def _url(route: str, son, data) -> str:
    return route.format(child=son.id, document=data.document, thread=data.thread,
                        attachment=data.attachment, statement=data.statement)


@pytest.mark.parametrize("permission,area,route", CASES,
                         ids=[f"{p}-{r}" for p, _, r in CASES])
def test_a_proxy_gets_exactly_the_areas_of_her_permission(client, family, permission, area,
                                                         route):
    mother, son, data = family
    grant(mother, son, [permission])
    login_as(client, mother)
    response = client.get(_url(route, son, data))
    if area == permission:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert denied(mother, son) == []
    else:
        assert response.status_code == 404
        refusals = denied(mother, son)
        assert refusals, "a refusal must be on record, naming the proxy and the child"
        assert all(event.actor_id == mother.id for event in refusals)


def test_pages_with_the_permission_show_the_childs_things(client, family):
    mother, son, data = family
    grant(mother, son, list(PERMISSIONS))
    login_as(client, mother)
    assert "Letter from the hospital" in client.get("/record/documents").get_data(as_text=True)
    assert "Swimming" in client.get("/messages").get_data(as_text=True)
    assert "Consultation" in client.get(f"/billing/statements/{data.statement}").get_data(
        as_text=True)
    page = client.get(f"/family/{son.id}/details").get_data(as_text=True)
    assert "Contact details of Daan de Vries" in page
    assert "You are viewing Daan de Vries" in page


def test_the_menu_shows_only_the_areas_of_the_grant(client, family):
    mother, son, _ = family
    grant(mother, son, ["billing"])
    login_as(client, mother)
    page = client.get("/home").get_data(as_text=True)
    menu = page.split('aria-label="Main menu"')[1].split("</nav>")[0]
    assert 'href="/billing"' in menu
    for hidden in ('href="/record"', 'href="/messages"', 'href="/appointments"'):
        assert hidden not in menu


def test_the_unread_count_needs_the_messages_permission(client, family):
    from portal.messages.models import Thread

    mother, son, data = family
    db.session.get(Thread, data.thread).unread_by_patient = True
    db.session.commit()
    access = grant(mother, son, ["billing"])
    login_as(client, mother)
    fragment = {"HX-Request": "true"}
    assert "1 new" not in client.get("/messages/unread", headers=fragment).get_data(as_text=True)
    assert "1 new" not in client.get("/billing").get_data(as_text=True)
    access.permissions = ["billing", "messages"]
    db.session.commit()
    assert "1 new" in client.get("/messages/unread", headers=fragment).get_data(as_text=True)
    assert "1 new" in client.get("/billing").get_data(as_text=True)


def test_check_in_shows_the_record_only_with_the_records_permission(client, family):
    from types import SimpleNamespace

    from portal.appointments.models import AppointmentType, Location, Practitioner
    from portal.records.models import RecordItem
    from portal.types import utcnow
    from tests.appointments.conftest import make_appointment, make_slot

    mother, son, _ = family
    book = SimpleNamespace(
        kind=AppointmentType(names={"en": "GP consultation"}, duration_minutes=10,
                             bookable_online=True, cancel_cutoff_hours=24, active=True),
        doctor=Practitioner(name="Dr Visser", active=True),
        place=Location(name="Main clinic", active=True))
    db.session.add_all([book.kind, book.doctor, book.place])
    db.session.add(RecordItem(patient_id=son.id, kind="allergy", title="Peanut allergy",
                              fhir_id="a1", resource={}, content_hash="x", start_at=utcnow()))
    db.session.commit()
    slot = make_slot(book, starts_at=utcnow().replace(microsecond=0) + timedelta(days=1))
    appointment = make_appointment(son, slot, book.kind)
    access = grant(mother, son, ["appointments"])
    login_as(client, mother)
    url = f"/appointments/{appointment.id}/check-in"
    page = client.get(url).get_data(as_text=True)
    assert "Peanut allergy" not in page
    assert "does not include the health record" in page
    access.permissions = ["appointments", "records"]
    db.session.commit()
    assert "Peanut allergy" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("how", ["revoked by the patient", "revoked by staff", "end date passed",
                                 "ended by the review"])
def test_a_grant_that_ends_loses_access_at_the_next_request(app, client, family, how):
    mother, son, data = family
    access = grant(mother, son, ["records", "messages"])
    login_as(client, mother)
    assert client.get("/record").status_code == 200
    assert client.get(f"/messages/{data.thread}").status_code == 200
    if how == "revoked by the patient":
        services.revoke(access, mother)
    elif how == "revoked by staff":
        from tests.conftest import make_user

        services.end_by_staff(access, make_user(role="front_desk"), "Asked at the desk")
    elif how == "end date passed":
        access.ends_on = clinic_today() - timedelta(days=1)
        db.session.commit()
    else:
        access.ends_on = clinic_today() - timedelta(days=1)
        db.session.commit()
        from portal.family.review import review_proxies

        with app.test_request_context():
            review_proxies()
    for url in ("/record", "/record/visits", f"/record/documents/{data.document}",
                "/record/download?scope=all&format=text", f"/messages/{data.thread}",
                f"/messages/{data.thread}/files/{data.attachment}"):
        assert client.get(url).status_code == 404, url
    assert len(denied(mother, son)) == 6
    assert "You are viewing" not in client.get("/family").get_data(as_text=True)


def test_a_future_grant_gives_nothing_until_its_first_day(client, family):
    mother, son, _ = family
    access = grant(mother, son, ["records"], starts_on=clinic_today() + timedelta(days=1))
    login_as(client, mother)
    assert client.get("/record").status_code == 404
    access.starts_on = clinic_today()
    db.session.commit()
    assert client.get("/record").status_code == 200


def test_the_last_day_of_a_grant_still_counts(client, family):
    mother, son, _ = family
    grant(mother, son, ["records"], ends_on=clinic_today())
    login_as(client, mother)
    assert client.get("/record").status_code == 200


def test_changing_details_for_the_child_is_stored_and_audited(client, family):
    mother, son, _ = family
    grant(mother, son, ["account"])
    login_as(client, mother)
    url = f"/family/{son.id}/details"
    response = post_form(client, url, {"phone": "+31 6 1234 5678", "address_line": "Kade 1",
                                       "postal_code": "1011 AB", "city": "Amsterdam",
                                       "country": "NL"})
    assert response.status_code == 303
    db.session.refresh(son)
    assert (son.phone, son.city) == ("+31 6 1234 5678", "Amsterdam")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contact-details-changed"))
    assert (event.actor_id, event.patient_id) == (mother.id, son.id)
    assert "Kade" not in (event.target or "")


def test_without_the_permission_changing_details_is_refused_and_nothing_changes(client, family):
    mother, son, _ = family
    grant(mother, son, ["records"])
    login_as(client, mother)
    token_page = "/family"
    response = post_form(client, f"/family/{son.id}/details", {"phone": "+31 6 0000 0000"},
                         page=token_page)
    assert response.status_code == 404
    db.session.refresh(son)
    assert son.phone != "+31 6 0000 0000"
    assert denied(mother, son)


def test_a_grant_never_lets_a_proxy_add_documents(db, clinic):
    from portal.access import Permission, may

    mother, son = parent(), child()
    grant(mother, son, ["records", "documents"])
    assert may(mother, Permission.VIEW_RECORD, son)
    assert not may(mother, Permission.ADD_DOCUMENTS, son)


def test_a_parent_with_her_own_record_gets_the_switch_from_the_first_page(client, clinic):
    from tests.conftest import make_user

    mother, son = make_user(display_name="Anna de Vries"), child()
    grant(mother, son, ["records"])
    login_as(client, mother)
    home = client.get("/home").get_data(as_text=True)
    assert "You are viewing your own record" in home
    assert f'<option value="{son.id}">Daan de Vries</option>' in home
    assert post_form(client, "/family/switch", {"patient_id": son.id},
                     page="/home").status_code == 303
    assert "You are viewing Daan de Vries" in client.get("/record").get_data(as_text=True)
    assert post_form(client, "/family/switch", {"patient_id": mother.patient_id},
                     page="/record").status_code == 303
    assert "You are viewing your own record" in client.get("/record").get_data(as_text=True)


def test_repeat_prescriptions_are_offered_only_with_the_messages_permission(client, clinic):
    from portal.records.models import RecordItem
    from portal.types import utcnow

    mother, son = parent(), child()
    db.session.add(RecordItem(patient_id=son.id, kind="medication", title="Amoxicillin",
                              status="active", fhir_id="m1", resource={}, content_hash="m",
                              start_at=utcnow()))
    db.session.commit()
    access = grant(mother, son, ["records"])
    login_as(client, mother)
    page = client.get("/record/medications").get_data(as_text=True)
    assert "Amoxicillin" in page and "Ask for a repeat prescription" not in page
    access.permissions = ["records", "messages"]
    db.session.commit()
    page = client.get("/record/medications").get_data(as_text=True)
    assert "Ask for a repeat prescription of Amoxicillin" in page


def test_a_page_outside_the_grant_says_whose_record_is_open_and_how_to_go_back(client, clinic):
    from tests.conftest import make_user
    from tests.records.test_views import text

    mother, son = make_user(display_name="Anna de Vries"), child()
    grant(mother, son, ["records"])
    login_as(client, mother)
    assert post_form(client, "/family/switch", {"patient_id": son.id},
                     page="/home").status_code == 303
    # Her own messages, from an e-mail link, while Daan's record is open: still a 404 with
    # its audit line, and the page says why and how to get back.
    refused = client.get("/messages")
    assert refused.status_code == 404 and denied(mother, son)
    shown = text(refused)
    assert ("You are viewing Daan de Vries's record: this page may be part of your own "
            "record, or need access the clinic has not given you for Daan de Vries.") in shown
    assert "choose “Yourself” above" in shown

    client.delete_cookie("session")
    carer = parent(display_name="Ben")
    grant(carer, son, ["records"])
    login_as(client, carer)
    shown = text(client.get("/messages"))
    assert "this page may need access the clinic has not given you for Daan de Vries." in shown
    assert "Yourself" not in shown


def test_a_parents_home_page_names_the_childs_things_without_calling_them_hers(client, family):
    from tests.records.test_views import text

    mother, son, _ = family
    grant(mother, son, ["records", "messages", "appointments", "billing"])
    login_as(client, mother)
    home = text(client.get("/home"))
    assert "Daan's record" in home
    for link in ("See the whole record", "Next appointment", "All appointments",
                 "See all bills", "All messages"):
        assert link in home, link
    for own in ("Your next appointment", "See your whole record", "All your appointments",
                "See your bills", "Read your messages"):
        assert own not in home, own
