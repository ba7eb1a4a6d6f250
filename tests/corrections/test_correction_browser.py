"""A correction request from the patient to the clinic and back, in a real browser, with
JavaScript on and off.

The patient asks from the allergies list in their own language (and is stopped once for
not choosing what is wrong); the clinic's address is told; a clinician accepts it with a
corrected name, accepts it by taking the item out of the record, or declines it (and is
stopped once for giving no reason); the patient is told by e-mail and reads the outcome next
to the item (or, for an item taken out, in the list of requests). Pages are checked with
axe-core.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.corrections.models import CorrectionRequest
from portal.models import Patient
from portal.records.models import RecordItem
from tests.quality.browser import axe_violations, horizontal_overflow, sign_in
from tests.quality.crawl import second_factor_code
from tests.records.test_views import add_item

pytestmark = pytest.mark.browser

#: A demo patient with an account per language.
PATIENTS = {"en": ("grace", "P-100004"), "nl": ("sanne", "P-100006"), "pl": ("kasia", "P-100013")}
CLINIC_ADDRESS = "desk@linden-health.example"


def _checked(page, axe_source, javascript: bool):
    """axe-core on the page (it needs JavaScript, so pages without it are left to the
    gates); at 320 px wide, nothing scrolls sideways."""
    if page.viewport_size["width"] == 320:
        assert not horizontal_overflow(page, 320), page.url
    if not javascript:
        return
    found = axe_violations(page, axe_source)
    assert not found, f"{page.url}: {found}"


@pytest.mark.parametrize("lang,javascript,decision", [
    ("en", True, "rename"), ("nl", False, "decline"), ("pl", True, "decline"),
    ("pl", False, "remove"), ("nl", True, "remove")],
    ids=["en-js-on-rename", "nl-js-off-decline", "pl-js-on-decline", "pl-js-off-remove",
         "nl-js-on-remove"])
def test_a_correction_request_from_patient_to_staff_and_back(db, demo, browser, live_server,
                                                             axe_source, outbox, lang,
                                                             javascript, decision):
    username, number = PATIENTS[lang]
    patient = db.session.scalar(select(Patient).filter_by(patient_number=number))
    item = add_item(patient, "allergy", title="Penicillin allergy", status="active",
                    details={"reactions": ["Hives"]})
    outbox.clear()

    context = browser.new_context(java_script_enabled=javascript,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/record/allergies")
    assert page.get_attribute("html", "lang") == lang
    page.locator(f"main a[href='/record/corrections/new/{item.id}']").click()
    page.wait_for_url(f"**/record/corrections/new/{item.id}")
    _checked(page, axe_source, javascript)
    page.locator("main form button[type=submit]").click()
    page.locator("#error-summary").wait_for()
    _checked(page, axe_source, javascript)
    page.locator("main input[value=not-mine]").check()
    page.fill("main textarea[name=details]", "I have never taken penicillin.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/record/allergies**")
    assert page.locator(f"#item-{item.id} .correction").count() == 1
    _checked(page, axe_source, javascript)

    db.session.expire_all()
    found = db.session.scalar(select(CorrectionRequest).where(
        CorrectionRequest.record_item_id == item.id))
    assert (found.reason, found.details, found.status) == (
        "not-mine", "I have never taken penicillin.", "open")
    told = outbox.to(CLINIC_ADDRESS)
    assert told and "Penicillin" not in told[-1].get_content()

    staff = browser.new_context(java_script_enabled=javascript)
    desk = staff.new_page()
    sign_in(desk, live_server, "dr.jansen", code=lambda: second_factor_code("dr.jansen"))
    desk.goto(f"{live_server}/staff/corrections")
    _checked(desk, axe_source, javascript)
    desk.locator(f"main a[href='/staff/corrections/{found.id}']").click()
    desk.wait_for_url(f"**/staff/corrections/{found.id}")
    _checked(desk, axe_source, javascript)
    if decision != "decline":
        desk.fill("main textarea[name=accept-change]", "Removed: recorded for another patient.")
        if decision == "rename":
            desk.fill("main input[name=accept-corrected_value]", "No known allergies")
        else:
            desk.check("main input[name=accept-remove]")
        desk.locator("main form[action$='/accept'] button[type=submit]").click()
    else:
        desk.locator("main form[action$='/decline'] button[type=submit]").click()
        desk.locator("#error-summary").wait_for()
        _checked(desk, axe_source, javascript)
        desk.fill("main textarea[name=decline-reason]", "The hospital letter of 2019 shows it.")
        desk.locator("main form[action$='/decline'] button[type=submit]").click()
    desk.wait_for_url("**/staff/corrections")
    staff.close()

    db.session.expire_all()
    assert db.session.get(CorrectionRequest, found.id).status == (
        "declined" if decision == "decline" else "accepted")
    mail = outbox.last_body(patient.account.email)
    assert "/record/corrections" in mail and "Penicillin" not in mail
    assert "hospital letter" not in mail and "another patient" not in mail

    page.goto(f"{live_server}/record/allergies")
    if decision == "remove":
        assert page.locator(f"#item-{item.id}").count() == 0
        assert "Penicillin allergy" not in page.locator("main").inner_text()
        assert db.session.get(RecordItem, item.id).status == "entered-in-error"
    else:
        shown = page.locator(f"#item-{item.id}").inner_text()
    if decision == "rename":
        assert "No known allergies" in shown and "Penicillin allergy" in shown
        assert "Removed: recorded for another patient." in shown
        assert db.session.get(RecordItem, item.id).title == "No known allergies"
    elif decision == "decline":
        assert "The hospital letter of 2019 shows it." in shown
    page.goto(f"{live_server}/record/corrections")
    _checked(page, axe_source, javascript)
    if decision == "remove":
        # What it was about, and what the clinic did, stay in the list of requests.
        listed = page.locator("main").inner_text()
        assert "Penicillin allergy" in listed
        assert "Removed: recorded for another patient." in listed
    context.close()
