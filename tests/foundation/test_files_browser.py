"""In Chromium with JavaScript on: a file from the database downloads, it is never swapped
into the page by htmx, and the page stays as it was."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.extensions import db as _db
from portal.family.models import AccessRequest
from portal.models import Patient, User
from portal.records.documents import add_document
from tests.quality.browser import sign_in
from tests.quality.crawl import VISITORS, second_factor_code

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + b"browser-download"


def _download(page, link, url: str) -> bytes:
    """Click `link` on the page at `url`; the file must download and the page stay put."""
    heading = page.locator("main h1").inner_text()
    with page.expect_download() as info:
        link.click()
    data = open(info.value.path(), "rb").read()
    assert page.url == url and page.locator("main h1").inner_text() == heading
    assert "%PDF" not in page.content()
    return data


def test_stored_files_download_with_javascript_on(demo, browser, live_server):
    patient = _db.session.scalar(select(Patient).where(Patient.patient_number == "P-100001"))
    clinician = _db.session.scalar(select(User).where(User.role == "clinician"))
    add_document(patient, clinician, "Letter from the browser test",
                 FileStorage(io.BytesIO(PDF), filename="browser letter.pdf"))

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, VISITORS["patient"])
    page.goto(f"{live_server}/record/documents")
    link = page.get_by_role("link", name="Letter from the browser test")
    assert _download(page, link, f"{live_server}/record/documents") == PDF
    context.close()

    request = _db.session.scalar(select(AccessRequest).where(AccessRequest.file_id.is_not(None)))
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    desk = VISITORS["front_desk"]
    sign_in(page, live_server, desk, code=lambda: second_factor_code(desk))
    url = f"{live_server}/staff/family/requests/{request.id}"
    page.goto(url)
    data = _download(page, page.get_by_role("link", name=f"Download {request.file.filename}"),
                     url)
    assert data.startswith(b"%PDF") and len(data) == request.file.size
    context.close()
