"""From the clinic's invitation letter to the dashboard, in a real browser.

Front-desk staff invite a patient and print the letter; the patient, in their own
language, opens the portal, activates the account with the code from the letter and
lands on their dashboard. Run in English, Dutch and Polish, with JavaScript on and off.
"""

import pytest
from sqlalchemy import select

from portal.models import Patient, User
from tests.quality.browser import sign_in
from tests.quality.crawl import second_factor_code

pytestmark = pytest.mark.browser

#: A demo patient without an account for each language (P-100021 holds an old invitation).
PATIENTS = {"en": "P-100021", "nl": "P-100012", "pl": "P-100015"}
NEW_PASSWORD = "lantern otter harbour"


def _print_letter(browser, base: str, patient: Patient) -> str:
    """Front desk invites the patient by letter; returns the code printed on it."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "frontdesk", code=lambda: second_factor_code("frontdesk"))
    page.goto(f"{base}/staff/patients/{patient.id}")
    page.locator("main form[action$='/invitation'] button[type=submit]").click()
    letter = page.locator("article.letter")
    letter.wait_for()
    assert letter.get_attribute("lang") == patient.preferred_locale
    code = page.locator(".letter-code").inner_text().strip()
    context.close()
    return code


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
@pytest.mark.parametrize("lang", ["en", "nl", "pl"])
def test_from_invitation_letter_to_dashboard(db, demo, browser, live_server, lang, javascript):
    patient = db.session.scalar(select(Patient).filter_by(patient_number=PATIENTS[lang]))
    code = _print_letter(browser, live_server, patient)

    context = browser.new_context(java_script_enabled=javascript,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server}/language/{lang}?next=/")
    assert page.get_attribute("html", "lang") == lang
    page.locator("main a[href='/activate']").first.click()
    page.wait_for_url("**/activate")
    page.fill("input[name=code]", code.lower().replace("-", " "))
    born = patient.birth_date
    page.fill("input[name=birth_day]", str(born.day))
    page.fill("input[name=birth_month]", str(born.month))
    page.fill("input[name=birth_year]", str(born.year))
    page.fill("input[name=family_name]", patient.family_name.upper())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/activate/account")
    page.fill("input[name=username]", f"journey-{lang}")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/home")
    assert page.get_attribute("html", "lang") == lang
    assert patient.given_name in page.locator("main h1").inner_text()
    assert page.locator("form.sign-out button").is_visible()
    context.close()

    db.session.expire_all()
    user = db.session.scalar(select(User).filter_by(username=f"journey-{lang}"))
    assert user.patient_id == patient.id and user.locale == lang
