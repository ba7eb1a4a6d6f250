"""A repeat prescription from start to end, in a real browser, with JavaScript on and off.

The patient asks from the medicines list in their own language; a clinician declines
without a reason (and is stopped), then with one; the patient reads the answer. Each
page on the way is checked with axe-core.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.messages.models import RepeatRequest
from portal.models import Patient
from tests.quality.browser import axe_violations, sign_in
from tests.quality.crawl import second_factor_code
from tests.records.test_views import add_item

pytestmark = pytest.mark.browser

#: A demo patient with an account per language.
PATIENTS = {"en": ("grace", "P-100004"), "nl": ("sanne", "P-100006"), "pl": ("kasia", "P-100013")}


def _checked(page, axe_source, javascript: bool):
    """axe-core on the page; it needs JavaScript, so pages without it are left to the gates."""
    if not javascript:
        return
    found = axe_violations(page, axe_source)
    assert not found, f"{page.url}: {found}"


@pytest.mark.parametrize("lang,javascript", [("en", True), ("nl", False), ("pl", True)],
                         ids=["en-js-on", "nl-js-off", "pl-js-on"])
def test_repeat_prescription_from_request_to_answer(db, demo, browser, live_server, axe_source,
                                                    outbox, lang, javascript):
    username, number = PATIENTS[lang]
    patient = db.session.scalar(select(Patient).filter_by(patient_number=number))
    medicine = add_item(patient, "medication", title="Amlodipine 5 mg", status="active",
                        details={"dosage": "1 tablet a day"})

    context = browser.new_context(java_script_enabled=javascript,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/record/medications")
    assert page.get_attribute("html", "lang") == lang
    page.locator(f"main a[href='/prescriptions/new/{medicine.id}']").click()
    page.wait_for_url(f"**/prescriptions/new/{medicine.id}")
    _checked(page, axe_source, javascript)
    page.locator("main input[name=pharmacy]").first.check()
    page.fill("main textarea[name=note]", "Two weeks left.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/prescriptions")
    assert "Amlodipine 5 mg" in page.locator("main").inner_text()
    _checked(page, axe_source, javascript)

    db.session.expire_all()
    request = db.session.scalar(select(RepeatRequest).where(RepeatRequest.patient_id == patient.id))
    assert (request.medication, request.note, request.status) == (
        "Amlodipine 5 mg", "Two weeks left.", "requested")

    staff = browser.new_context(java_script_enabled=javascript)
    desk = staff.new_page()
    sign_in(desk, live_server, "dr.jansen", code=lambda: second_factor_code("dr.jansen"))
    desk.goto(f"{live_server}/staff/prescriptions")
    desk.locator(f"main a[href='/staff/prescriptions/{request.id}']").click()
    desk.wait_for_url(f"**/staff/prescriptions/{request.id}")
    desk.locator("main input[value=decline]").check()
    desk.locator("main form button[type=submit]").click()
    desk.locator("#error-summary").wait_for()
    _checked(desk, axe_source, javascript)
    desk.fill("main textarea[name=reason]", "Please book a blood pressure check first.")
    desk.locator("main form button[type=submit]").click()
    desk.wait_for_url("**/staff/prescriptions")
    staff.close()

    page.goto(f"{live_server}/prescriptions")
    shown = page.locator("main").inner_text()
    assert "Please book a blood pressure check first." in shown
    db.session.expire_all()
    assert db.session.get(RepeatRequest, request.id).status == "declined"
    assert outbox.to(patient.account.email), "the patient was not told by e-mail"
    context.close()
