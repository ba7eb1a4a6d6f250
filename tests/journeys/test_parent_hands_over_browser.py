"""What a parent does for her child reaches the right staff, named as hers, in real Chromium
with JavaScript on.

Marloes (the demo parent, Dutch, no record of her own) checks Daan in for his appointment
at 320 px and says the insurance has changed: the check-in takes her to the insurance page,
where she enters the new details. The front desk's day view names her as having checked
in for him; billing finds the new details to review; the conversation she started for
Daan reads "From Marloes Jansen, acting for the patient" on the staff side.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.appointments.models import Appointment
from portal.appointments.services import local_day
from portal.messages.models import Thread
from portal.models import Patient
from tests.quality.browser import axe_violations, sign_in
from tests.quality.crawl import second_factor_code

pytestmark = pytest.mark.browser

DAAN = "P-100007"
INSURER = "Zorgverzekeraar Noord"
ACTING = "Marloes Jansen, acting for the patient"


def _staff(browser, live_server, username: str):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, username, code=lambda: second_factor_code(username))
    return context, page


def test_a_parents_check_in_insurance_and_message_reach_staff_named_as_hers(
        db, demo, browser, live_server, axe_source):
    daan = db.session.scalar(select(Patient).filter_by(patient_number=DAAN))
    appointment = db.session.scalar(select(Appointment).where(Appointment.patient_id == daan.id,
                                                              Appointment.status == "booked"))
    thread = db.session.scalar(select(Thread).where(Thread.patient_id == daan.id))

    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, "marloes")
    page.goto(f"{live_server}/appointments/{appointment.id}/check-in")
    assert page.get_attribute("html", "lang") == "nl"
    for name in ("contact_ok", "medications_same", "allergies_same"):
        page.locator(f"main input[name={name}][value=yes]").check()
    page.locator("main input[name=insurance_same][value=no]").check()
    page.locator("main form[action$='/check-in'] button[type=submit]").click()
    page.wait_for_url("**/billing/insurance")
    assert "de verzekering is veranderd" in page.locator(".flashes").inner_text()
    assert not axe_violations(page, axe_source)
    page.fill("main input[name=insurer]", INSURER)
    page.fill("main input[name=member_number]", "NL-4455")
    page.fill("main input[name=holder_name]", "Marloes Jansen")
    page.locator("main input[name=relation]").first.check()
    page.fill("main input[name=valid_from]", "2027-01-01")
    page.locator("main form button[type=submit]").last.click()
    page.locator("main", has_text=INSURER).wait_for()
    context.close()

    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).checked_in_at is not None
    staff, desk = _staff(browser, live_server, "frontdesk")
    desk.goto(f"{live_server}/staff/appointments?day={local_day(appointment.starts_at)}")
    row = desk.locator("main tr", has_text="Daan Jansen").first.inner_text()
    assert f"by {ACTING}" in row and "Insurance changed" in row
    assert not axe_violations(desk, axe_source)
    staff.close()

    staff, clerk = _staff(browser, live_server, "billing")
    clerk.goto(f"{live_server}/staff/billing/insurance")
    assert INSURER in clerk.locator("main").inner_text()
    staff.close()

    staff, admin = _staff(browser, live_server, "admin")
    admin.goto(f"{live_server}/staff/messages/{thread.id}")
    assert f"From {ACTING}" in admin.locator("main").inner_text()
    assert not axe_violations(admin, axe_source)
    staff.close()
