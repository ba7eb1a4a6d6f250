"""A clinic's day across both sides, in real Chromium with JavaScript on.

Samuel activates his account with the code from his invitation letter, books a long
consultation, checks in saying his medicines changed and writes to the clinic. Dr
Jansen (with his authenticator code) sees the check-in change on the day view and the
message, answers it and releases a result. Samuel reads the answer and the result and
downloads the calendar file: a download, not bytes swapped into the page by htmx.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal import demo as demo_data
from portal.appointments.models import Appointment, SlotReservation
from portal.appointments.services import local_day
from portal.models import Patient
from portal.records.models import RecordItem
from portal.types import utcnow
from tests.quality.browser import axe_violations, sign_in
from tests.quality.crawl import second_factor_code

pytestmark = pytest.mark.browser

SAMUEL = "P-100021"
PASSWORD = "lantern otter harbour"
CHANGE = "Stopped atorvastatin, muscle pain"
QUESTION = "Can I take paracetamol with my new tablets?"
ANSWER = "Yes, paracetamol is fine with them. See you on Monday."


def _held_result(db, patient: Patient) -> None:
    """A glucose result from the laboratory, waiting for a clinician to release it."""
    db.session.add(RecordItem(
        patient_id=patient.id, kind="observation", fhir_id="journey-glucose", title="Glucose",
        category="laboratory", status="final", code="2339-0", code_system="http://loinc.org",
        value_num=Decimal("5.4"), unit="mmol/L", start_at=utcnow(), content_hash="journey",
        details={}, resource={"resourceType": "Observation", "id": "journey-glucose"}))
    db.session.commit()


def _activate(page, base: str, patient: Patient) -> None:
    page.goto(f"{base}/")
    page.locator("main a[href='/activate']").first.click()
    page.wait_for_url("**/activate")
    page.fill("input[name=code]", demo_data.INVITATIONS[SAMUEL])
    page.fill("input[name=birth_day]", str(patient.birth_date.day))
    page.fill("input[name=birth_month]", str(patient.birth_date.month))
    page.fill("input[name=birth_year]", str(patient.birth_date.year))
    page.fill("input[name=family_name]", patient.family_name)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/activate/account")
    page.fill("input[name=username]", "samuel.okafor")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/home")


def _book_long_consultation(page, base: str) -> str:
    """Book the first free long consultation; returns the appointment's address."""
    page.goto(f"{base}/appointments")
    page.locator("main a[href='/appointments/book']").click()
    page.get_by_label("Long consultation").check()
    page.get_by_role("button", name="Show free times").click()
    page.locator("#slots table a").first.wait_for()
    page.locator("#slots table a").first.click()
    page.wait_for_url("**/appointments/book/*")
    page.fill("textarea[name=reason]", "My muscles hurt since the new tablets")
    page.get_by_role("button", name="Book").last.click()
    page.wait_for_url(re.compile(r".*/appointments/\d+$"))
    assert "Your appointment is booked" in page.locator(".flashes").inner_text()
    return page.url


def _check_in(page, appointment_url: str) -> None:
    page.goto(appointment_url)
    page.get_by_role("link", name="Check in now").click()
    page.wait_for_url("**/check-in")
    for name in ("contact_ok", "insurance_same", "allergies_same"):
        page.locator(f"input[name={name}][value=yes]").check()
    page.locator("input[name=medications_same][value=no]").check()
    page.fill("textarea[name=medication_changes]", CHANGE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(appointment_url)
    assert "you are checked in" in page.locator(".flashes").inner_text()


def _write_to_the_clinic(page, base: str) -> None:
    page.goto(f"{base}/messages/new")
    page.get_by_label("A question for my doctor or nurse").check()
    page.fill("input[name=subject]", "Paracetamol")
    page.fill("textarea[name=body]", QUESTION)
    page.get_by_role("button", name="Send the message").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))


def _clinician_works(browser, base: str, day: str, axe_source: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "dr.jansen", code=lambda: second_factor_code("dr.jansen"))
    # The day view: Samuel checked in, his medicines changed, flagged for the clinician.
    page.goto(f"{base}/staff/appointments?day={day}")
    row = page.locator("main tr", has_text="Samuel Okafor").first
    assert "Checked in on" in row.inner_text()
    assert CHANGE in row.inner_text() and "Medicines changed" in row.inner_text()
    assert row.locator("strong.new", has_text="Check").count() == 1
    assert axe_violations(page, axe_source) == []
    # The message, and the answer.
    page.goto(f"{base}/staff/messages")
    page.get_by_role("link", name="Paracetamol").first.click()
    page.wait_for_url(re.compile(r".*/staff/messages/\d+$"))
    assert QUESTION in page.locator("main").inner_text()
    page.fill("textarea[name=body]", ANSWER)
    page.get_by_role("button", name="Send the answer").click()
    page.locator("main", has_text=ANSWER).wait_for()
    # The result waiting for release.
    page.goto(f"{base}/staff/results")
    group = page.locator("main section", has_text="Samuel Okafor").first
    group.get_by_role("button", name="Release this result").click()
    page.locator("main", has_text="released to Samuel Okafor").wait_for()
    context.close()


def test_a_clinic_day_from_activation_to_the_calendar_file(db, demo, browser, live_server,
                                                          axe_source):
    samuel = db.session.scalar(select(Patient).filter_by(patient_number=SAMUEL))
    _held_result(db, samuel)
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    _activate(page, live_server, samuel)
    appointment_url = _book_long_consultation(page, live_server)
    _check_in(page, appointment_url)
    _write_to_the_clinic(page, live_server)

    db.session.expire_all()
    appointment = db.session.scalar(select(Appointment).where(
        Appointment.patient_id == samuel.id))
    # A long consultation holds two ten-minute slots.
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=20)
    assert len(db.session.scalars(select(SlotReservation).where(
        SlotReservation.appointment_id == appointment.id)).all()) == 2
    _clinician_works(browser, live_server, local_day(appointment.starts_at).isoformat(),
                     axe_source)

    # Samuel reads the answer and the result.
    page.goto(f"{live_server}/messages")
    page.get_by_role("link", name="Paracetamol").first.click()
    page.locator("main", has_text=ANSWER).wait_for()
    page.goto(f"{live_server}/record/results")
    assert "Glucose" in page.locator("main").inner_text()
    # The calendar file downloads with JavaScript on; the page stays as it was.
    page.goto(appointment_url)
    heading = page.locator("main h1").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to your calendar (.ics file)").click()
    download = download_info.value
    assert download.suggested_filename == f"appointment-{appointment.id}.ics"
    event = Calendar.from_ical(open(download.path(), "rb").read()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert page.url == appointment_url and page.locator("main h1").inner_text() == heading
    assert "BEGIN:VCALENDAR" not in page.content()
    context.close()

