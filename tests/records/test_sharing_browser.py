"""The pages the crawl does not reach, in Chromium: the printable summary, pages with errors,
the release queue with results waiting. axe-core, 320 px, and JavaScript off."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.extensions import db as _db
from portal.models import Patient
from portal.records.models import RecordItem
from tests.quality.browser import (
    Console,
    axe_violations,
    horizontal_overflow,
    no_script_problems,
    sign_in,
)
from tests.quality.crawl import VISITORS, second_factor_code

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

pytestmark = pytest.mark.browser


def _problems(browser, page, live_server, axe_source, path: str) -> list[str]:
    """axe-core at desktop width, sideways scrolling at 320 px, then the page without script."""
    console = Console(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(live_server + path)
    found = axe_violations(page, axe_source) + console.take()
    page.set_viewport_size({"width": 320, "height": 640})
    found += horizontal_overflow(page, 320)
    context = browser.new_context(java_script_enabled=False,
                                  storage_state=page.context.storage_state())
    quiet = context.new_page()
    quiet.goto(live_server + path)
    found += no_script_problems(quiet)
    context.close()
    return [f"{path}: {problem}" for problem in found]


def _signed_in(browser, live_server, role: str):
    page = browser.new_context().new_page()
    username = VISITORS[role]
    sign_in(page, live_server, username, code=lambda: second_factor_code(username))
    return page


def test_sharing_pages_pass_the_browser_gates(demo, browser, live_server, axe_source):
    patient = _db.session.scalar(select(Patient).where(Patient.patient_number == "P-100001"))
    # One report waits for release, so the queue has something to show.
    report = _db.session.scalar(select(RecordItem).where(
        RecordItem.patient_id == patient.id, RecordItem.kind == "report").limit(1))
    _db.session.execute(update(RecordItem).where(
        RecordItem.patient_id == patient.id,
        (RecordItem.id == report.id) | (RecordItem.report_ref == report.fhir_id))
        .values(released_at=None))
    _db.session.commit()

    problems = []
    page = _signed_in(browser, live_server, "patient")
    for path in ("/record/download?format=html&scope=all",
                 "/record/download?format=html&scope=period&from_date=2024-02-30",
                 "/record/activity"):
        problems += _problems(browser, page, live_server, axe_source, path)
    page.context.close()

    page = _signed_in(browser, live_server, "clinician")
    problems += _problems(browser, page, live_server, axe_source, "/staff/results")
    page.goto(live_server + "/staff/results")
    page.fill("textarea", "x" * 2001)
    page.evaluate("document.querySelector('textarea').removeAttribute('maxlength')")
    page.fill("textarea", "x" * 2001)
    page.click("main form button[type=submit]")
    page.wait_for_selector("#error-summary")
    problems += [f"release with a long note: {p}" for p in axe_violations(page, axe_source)]
    page.goto(live_server + f"/staff/patients/{patient.id}/documents/new")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#error-summary")
    problems += [f"upload without a file: {p}" for p in axe_violations(page, axe_source)]
    page.set_viewport_size({"width": 320, "height": 640})
    problems += [f"upload without a file: {p}" for p in horizontal_overflow(page, 320)]
    # With htmx boosting the form, the file still arrives whole.
    page.fill("input[name=title]", "Letter from the hospital")
    page.set_input_files("input[type=file]", files=[{
        "name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "Letter from the hospital" in page.inner_text("main table")
    with page.expect_download() as download:
        page.click("main table a")
    assert Path(download.value.path()).read_bytes() == PDF
    page.context.close()
    assert not problems, "\n".join(problems)
