"""Proxy access: grants through the one gate, age rules, the switch, confidential items."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.clinic_setup import save_clinic
from portal.extensions import db
from portal.family.models import AccessRequest, ProxyGrant
from portal.family.rules import clinic_today, parental_access
from portal.models import AuditEvent, Patient
from portal.records.models import RecordItem
from portal.types import utcnow
from tests.conftest import login_as, make_patient, make_user, post_form


def _grant(user, patient, permissions, **values):
    grant = ProxyGrant(grantee_user_id=user.id, patient_id=patient.id, permissions=permissions,
                       relationship_kind=values.pop("relationship", "parent"),
                       starts_on=values.pop("starts_on", date(2020, 1, 1)), reason="test",
                       **values)
    db.session.add(grant)
    db.session.commit()
    return grant


def _parent(**values):
    """A user who acts only for others: no patient record of their own."""
    user = make_user(**values)
    user.patient = None
    db.session.commit()
    return user


def _child(**values):
    return make_patient(given_name="Daan", family_name="Jansen",
                        birth_date=values.pop("birth_date",
                                              clinic_today() - timedelta(days=8 * 365)),
                        **values)


@pytest.mark.parametrize("preset,birthday_age,before,on,after", [
    ("nl", 12, "full", "needs_consent", "needs_consent"),
    ("nl", 16, "needs_consent", "none", "none"),
    ("pl", 16, "full", "full", "full"),
    ("pl", 18, "full", "none", "none"),
])
def test_age_rules_at_the_birthday(db, clinic, preset, birthday_age, before, on, after):
    settings = save_clinic(proxy_age_preset=preset)
    child = Patient(given_name="A", family_name="B", birth_date=date(2010, 6, 15))
    day = date(2010 + birthday_age, 6, 15)
    assert parental_access(child, day - timedelta(days=1), settings) == before
    assert parental_access(child, day, settings) == on
    assert parental_access(child, day + timedelta(days=1), settings) == after


def test_a_leap_day_child_turns_sixteen_on_the_first_of_march(db, clinic):
    settings = save_clinic(proxy_age_preset="nl")
    child = Patient(given_name="A", family_name="B", birth_date=date(2008, 2, 29))
    assert parental_access(child, date(2024, 2, 28), settings) == "needs_consent"
    assert parental_access(child, date(2024, 2, 29), settings) == "none"
    assert parental_access(child, date(2023, 2, 28), settings) == "needs_consent"


def test_custom_ages(db, clinic):
    settings = save_clinic(proxy_age_preset="custom", proxy_consent_age=14, proxy_end_age=17)
    child = Patient(given_name="A", family_name="B", birth_date=date(2010, 1, 1))
    assert parental_access(child, date(2023, 12, 31), settings) == "full"
    assert parental_access(child, date(2024, 1, 1), settings) == "needs_consent"
    assert parental_access(child, date(2027, 1, 1), settings) == "none"


@pytest.mark.parametrize("permissions,allowed,refused", [
    (["records"], ["/record", "/record/results"], ["/messages", "/appointments", "/bills"]),
    (["messages"], ["/messages"], ["/record", "/record/results"]),
])
def test_a_proxy_gets_exactly_the_granted_areas(client, db, clinic, permissions, allowed,
                                                  refused):
    parent = _parent(display_name="Anna Jansen")
    child = _child()
    _grant(parent, child, permissions)
    login_as(client, parent)
    for url in allowed:
        assert client.get(url).status_code == 200, url
    for url in refused:
        assert client.get(url).status_code in (404,), url
    assert client.get("/home").status_code == 200
    assert "You are viewing Daan Jansen" in client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize("values", [
    {"status": "revoked"},
    {"ends_on": date.today() - timedelta(days=1)},
    {"starts_on": date.today() + timedelta(days=2)},
])
def test_revoked_expired_and_future_grants_give_nothing(client, db, clinic, values):
    parent = make_user()
    child = _child()
    _grant(parent, child, ["records"], **values)
    login_as(client, parent)
    with client.session_transaction() as session:
        session["acting_for"] = child.id
    assert client.get("/record").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.actor_id == parent.id, AuditEvent.patient_id == child.id,
        AuditEvent.outcome == "denied"))


def test_consent_is_needed_from_twelve_in_the_netherlands(client, db, clinic):
    parent = _parent()
    child = _child(birth_date=clinic_today().replace(year=clinic_today().year - 13))
    grant = _grant(parent, child, ["records"])
    login_as(client, parent)
    assert client.get("/record").status_code == 404
    grant.child_consent_at = grant.created_at
    db.session.commit()
    assert client.get("/record").status_code == 200


def test_confidential_items_never_show_to_a_proxy(client, db, clinic, app):
    parent = _parent()
    child = _child()
    user = make_user(patient=child)
    for title, secret in (("Visible visit", False), ("Secret visit", True)):
        db.session.add(RecordItem(patient_id=child.id, kind="encounter", title=title,
                                  confidential=secret, fhir_id=title, resource={},
                                  content_hash=title, start_at=utcnow()))
    db.session.commit()
    _grant(parent, child, ["records"])
    login_as(client, parent)
    page = client.get("/record/visits").get_data(as_text=True)
    assert "Visible visit" in page and "Secret visit" not in page
    secret = db.session.scalar(select(RecordItem).where(RecordItem.title == "Secret visit"))
    assert client.get(f"/record/visits/{secret.id}").status_code == 404
    text = client.get("/record/download?scope=all&format=text").get_data(as_text=True)
    assert "Secret visit" not in text
    own = app.test_client()
    login_as(own, user)
    assert "Secret visit" in own.get("/record/visits").get_data(as_text=True)


def test_request_approve_switch_and_revoke(client, db, clinic, app):
    parent = make_user(display_name="Sanne Jansen")
    child = _child(patient_number="P-777777")
    login_as(client, parent)
    response = post_form(client, "/family/ask", {
        "given_name": "Daan", "family_name": "Jansen", "birth_date": "2018-01-02",
        "relationship": "parent"}, page="/family")
    assert response.status_code == 303
    request = db.session.scalar(select(AccessRequest))
    assert request.status == "pending"
    staff = app.test_client()
    login_as(staff, make_user(role="front_desk"))
    assert "Sanne Jansen" in staff.get("/staff/family").get_data(as_text=True)
    url = f"/staff/family/requests/{request.id}"
    bad = post_form(staff, url, {"decision": "approve", "q": "Daan Jansen",
                                 "relationship": "parent", "reason": "Passport seen"})
    assert bad.status_code == 422
    assert "Choose the child from the search results." in bad.get_data(as_text=True)
    ok = post_form(staff, url, {"decision": "approve", "q": "Daan Jansen",
                                "patient_id": child.id,
                                "relationship": "parent", "perm_records": "y",
                                "reason": "Passport seen"})
    assert ok.status_code == 303
    grant = db.session.scalar(select(ProxyGrant))
    assert grant.permissions == ["records"] and grant.patient_id == child.id
    page = client.get("/family").get_data(as_text=True)
    assert "Daan Jansen" in page
    assert post_form(client, "/family/switch", {"patient_id": child.id},
                     page="/family").status_code == 303
    home = client.get("/home").get_data(as_text=True)
    assert "You are viewing Daan Jansen" in home
    assert client.get("/record").status_code == 200
    viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "record-viewed",
                                                        AuditEvent.patient_id == child.id))
    assert viewed.actor_id == parent.id
    # Another family's child: refused with an audit line.
    other = _child()
    assert post_form(client, "/family/switch", {"patient_id": other.id},
                     page="/family").status_code == 404
    # The child (an own account) revokes.
    child_user = make_user(patient=child)
    own = app.test_client()
    login_as(own, child_user)
    assert "Sanne Jansen" in own.get("/family").get_data(as_text=True)
    assert post_form(own, f"/family/grants/{grant.id}/revoke", {},
                     page="/family").status_code == 303
    assert client.get("/record").status_code == 404
