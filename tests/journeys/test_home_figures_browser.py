"""The home page's figures after the clinic acts, in a real browser with JavaScript on.

The patient writes to the clinic; a clinician answers and the billing clerk posts a
statement, each in their own browser; the patient's home page then shows the new answer
(panel and menu badge, one count) and the new amount due, read in one statement with the
other panels' figures (portal/dashboard.py), in the patient's language.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.billing.ledger import balance
from portal.i18n import fmt_money
from portal.messages.models import Thread
from portal.models import Patient
from tests.quality.browser import axe_violations, sign_in
from tests.quality.crawl import second_factor_code

pytestmark = pytest.mark.browser

PATIENTS = {"en": ("grace", "P-100004"), "pl": ("kasia", "P-100013")}


def _staff(browser, live_server, username: str):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, username, code=lambda: second_factor_code(username))
    return context, page


@pytest.mark.parametrize("lang", list(PATIENTS))
def test_the_clinics_answer_and_statement_show_on_the_patients_home(
        app, db, demo, browser, live_server, axe_source, lang):
    username, number = PATIENTS[lang]
    patient = db.session.scalar(select(Patient).filter_by(patient_number=number))
    owed_before = balance(patient.id)

    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/messages/new")
    page.locator("main input[name=topic]").first.check()
    page.fill("main input[name=subject]", "Figures on my home page")
    page.fill("main textarea[name=body]", "Is my letter ready?")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    db.session.expire_all()
    thread = db.session.scalar(select(Thread).where(Thread.patient_id == patient.id,
                                                    Thread.subject == "Figures on my home page"))
    page.goto(f"{live_server}/home")
    assert page.locator("#unread-count").inner_text().strip() == ""

    staff, desk = _staff(browser, live_server, "dr.jansen")
    desk.goto(f"{live_server}/staff/messages/{thread.id}")
    desk.fill("main textarea[name=body]", "Yes, it is ready.")
    desk.locator("main form button[type=submit]").first.click()
    # The answer is stored once the page shows it (the form's own URL does not change).
    desk.locator("main", has_text="Yes, it is ready.").wait_for()
    staff.close()

    staff, clerk = _staff(browser, live_server, "billing")
    clerk.goto(f"{live_server}/staff/billing/patients/{patient.id}/statements/new")
    clerk.fill("main input[name='lines-0-description']", "Consultation")
    clerk.fill("main input[name='lines-0-service_date']", "2026-11-30")
    clerk.fill("main input[name='lines-0-charged']", "42.50")
    clerk.locator("main form button[type=submit]").last.click()
    # The form's own address starts with the account's, so wait for the account itself.
    clerk.wait_for_url(re.compile(rf".*/staff/billing/patients/{patient.id}$"))
    staff.close()

    db.session.expire_all()
    assert balance(patient.id) == owed_before + Decimal("42.50")
    with app.test_request_context("/"), force_locale(lang):
        owed = fmt_money(balance(patient.id))

    page.goto(f"{live_server}/home")
    assert page.get_attribute("html", "lang") == lang
    messages = page.locator("section[aria-labelledby=messages-title]").inner_text()
    bills = page.locator("section[aria-labelledby=billing-title]").inner_text()
    unread = len(db.session.scalars(select(Thread.id).where(
        Thread.patient_id == patient.id, Thread.unread_by_patient.is_(True))).all())
    assert unread >= 1
    # The panel and the menu's badge show the one count.
    assert str(unread) in messages and str(unread) in page.locator("#unread-count").inner_text()
    assert owed in bills, (owed, bills)
    assert not axe_violations(page, axe_source)
    context.close()
