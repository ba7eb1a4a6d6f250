"""Family access follows the clinic's age rules at every step, and each side sees why.

Found: front desk approved Kasia's access to Jakub (12) without Jakub's agreement; staff
saw "Active", Kasia saw "You cannot act for anyone yet" with no reason.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlalchemy import select

from portal.clinic_setup import save_clinic
from portal.extensions import db
from portal.family.models import AccessRequest, ProxyGrant
from portal.family.rules import birthday, clinic_today
from portal.i18n import fmt_date
from portal.types import utcnow
from tests.conftest import login_as, make_patient, make_user, post_form


def _years_ago(years: int, days: int = 30) -> date:
    today = clinic_today()
    return date(today.year - years, today.month, 1) - timedelta(days=days)


def _kasia_asks_for_jakub(app, age: int = 12):
    """Kasia (no record of her own) asks for Jakub; front desk signed in on a second client."""
    save_clinic(proxy_age_preset="nl")
    jakub = make_patient(given_name="Jakub", family_name="Kowalski",
                         birth_date=_years_ago(age))
    kasia = make_user(display_name="Kasia Kowalska")
    kasia.patient = None
    db.session.commit()
    parent = app.test_client()
    login_as(parent, kasia)
    assert post_form(parent, "/family/ask", {
        "given_name": "Jakub", "family_name": "Kowalski",
        "birth_date": jakub.birth_date.isoformat(), "relationship": "parent"},
        page="/family").status_code == 303
    desk = app.test_client()
    login_as(desk, make_user(role="front_desk"))
    found = db.session.scalar(select(AccessRequest))
    return jakub, parent, desk, found


def _text(response) -> str:
    main = response.get_data(as_text=True).split("<main", 1)[-1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_a_sent_request_shows_as_pending_on_the_family_page(app, clinic):
    _jakub, parent, _desk, _found = _kasia_asks_for_jakub(app)
    page = _text(parent.get("/family"))
    assert "Requests you sent" in page and "Jakub Kowalski" in page and "pending" in page


def test_staff_choose_the_child_from_a_search_prefilled_with_the_typed_name(app, clinic):
    jakub, _parent, desk, found = _kasia_asks_for_jakub(app)
    make_patient(given_name="Jan", family_name="Nowak")
    page = desk.get(f"/staff/family/requests/{found.id}").get_data(as_text=True)
    assert 'name="patient_number"' not in page
    assert f'name="patient_id" type="radio" value="{jakub.id}"' in page
    assert page.count('id="q"') == 1
    assert "Nowak" not in page  # only who the search for the typed name finds
    again = desk.get(f"/staff/family/requests/{found.id}", query_string={"q": "Nowak"})
    assert "Nowak, Jan" in again.get_data(as_text=True)


def test_approval_without_the_childs_agreement_is_refused_with_the_reason(app, clinic):
    jakub, parent, desk, found = _kasia_asks_for_jakub(app, age=12)
    url = f"/staff/family/requests/{found.id}"
    data = {"decision": "approve", "q": "Jakub Kowalski", "patient_id": jakub.id,
            "relationship": "parent", "perm_records": "y", "reason": "Passport seen"}
    refused = post_form(desk, url, data)
    assert refused.status_code == 422
    words = _text(refused)
    assert "Jakub is 12 years old" in words and "agreement" in words
    assert db.session.scalar(select(ProxyGrant)) is None
    assert post_form(desk, url, {**data, "child_consented": "y"}).status_code == 303
    grant = db.session.scalar(select(ProxyGrant))
    assert grant.child_consent_at is not None
    page = _text(parent.get("/family"))
    assert "Jakub Kowalski's record is open now" in page and "cannot act" not in page
    last_day = birthday(jakub.birth_date, 16) - timedelta(days=1)
    with app.test_request_context("/"):
        assert f"Until {fmt_date(last_day)}" in page and "turns 16" in page
    assert "View the health record" in page


def test_approval_after_the_age_access_ends_is_refused(app, clinic):
    jakub, _parent, desk, found = _kasia_asks_for_jakub(app, age=16)
    response = post_form(desk, f"/staff/family/requests/{found.id}", {
        "decision": "approve", "q": "Jakub", "patient_id": jakub.id, "relationship": "parent",
        "perm_records": "y", "child_consented": "y", "reason": "Passport seen"})
    assert response.status_code == 422
    assert "a parent's access ends at 16" in _text(response)


def test_a_grant_waiting_for_agreement_says_so_to_the_parent(app, clinic):
    save_clinic(proxy_age_preset="nl")
    jakub = make_patient(given_name="Jakub", family_name="Kowalski", birth_date=_years_ago(13))
    kasia = make_user()
    db.session.add(ProxyGrant(grantee_user_id=kasia.id, patient_id=jakub.id,
                              permissions=["records"], relationship_kind="parent",
                              starts_on=date(2020, 1, 1), status="pending_consent",
                              reason="test", approved_at=utcnow()))
    db.session.commit()
    client = app.test_client()
    login_as(client, kasia)
    page = _text(client.get("/family"))
    assert "You cannot act for Jakub now." in page and "Jakub is 13 years old" in page


def test_pages_acting_for_someone_speak_of_that_person(app, clinic):
    save_clinic(proxy_age_preset="nl")
    daan = make_patient(given_name="Daan", family_name="Jansen", birth_date=_years_ago(8))
    marloes = make_user()
    marloes.patient = None
    db.session.add(ProxyGrant(grantee_user_id=marloes.id, patient_id=daan.id,
                              permissions=["records"], relationship_kind="parent",
                              starts_on=date(2020, 1, 1), status="active", reason="test"))
    db.session.commit()
    client = app.test_client()
    login_as(client, marloes)
    record = _text(client.get("/record"))
    assert " Daan's record " in record and "My record" not in record
    assert "Who looked at Daan's record" in record
    activity = _text(client.get("/record/activity"))
    assert "Who looked at Daan's record" in activity and "your record" not in activity
    download = _text(client.get("/record/download"))
    assert "Download or share Daan's record" in download and "your record" not in download
    menu = client.get("/record").get_data(as_text=True)
    assert "Daan&#39;s record</a>" in menu and ">My record<" not in menu


def test_staff_never_read_active_for_a_grant_the_rules_refuse(app, clinic):
    save_clinic(proxy_age_preset="nl")
    jakub = make_patient(given_name="Jakub", family_name="Kowalski", birth_date=_years_ago(12))
    kasia = make_user()
    grant = ProxyGrant(grantee_user_id=kasia.id, patient_id=jakub.id, permissions=["records"],
                       relationship_kind="parent", starts_on=date(2020, 1, 1),
                       status="active", reason="approved before the rule", approved_at=utcnow())
    db.session.add(grant)
    db.session.commit()
    desk = app.test_client()
    login_as(desk, make_user(role="front_desk"))
    page = _text(desk.get(f"/staff/family/patients/{jakub.id}"))
    assert "gives no access now" in page and "Jakub is 12 years old" in page
    assert "turns 16 (the clinic's age rules)" in page
