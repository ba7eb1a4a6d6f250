"""Documents: staff upload letters and scans; the patient lists and downloads them."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.files import file_of, safe_filename
from portal.models import AuditEvent, StoredFile
from portal.records.models import Document
from tests.conftest import count_queries, csrf_token, login_as, make_patient, make_user

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


@pytest.fixture
def uploads(app):
    """The old upload folder, which nothing writes to any more: checked empty afterwards."""
    folder = Path(app.config["OLD_UPLOAD_DIR"])
    yield folder
    assert not folder.exists() or list(folder.iterdir()) == []


def _upload(client, patient, content: bytes, filename: str, title: str = "Letter",
            mimetype: str = "application/pdf", token: bool = True):
    data = {"title": title, "file": (io.BytesIO(content), filename, mimetype)}
    if token:
        data["csrf_token"] = csrf_token(client, f"/staff/patients/{patient.id}/documents/new")
    return client.post(f"/staff/patients/{patient.id}/documents", data=data,
                       content_type="multipart/form-data")


def _stored_files() -> int:
    return _db.session.scalar(select(func.count(StoredFile.id)))


def _documents() -> list[Document]:
    return list(_db.session.scalars(select(Document).order_by(Document.id)))


def _last_audit():
    return _db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def _field_error(page: str) -> str:
    found = re.search(r'<p class="field-error" id="file-error">.*?</span>\s*(.*?)</p>', page,
                      re.S)
    return found.group(1) if found else ""


def test_front_desk_uploads_and_the_patient_downloads(client, app, clinic, uploads):
    patient_user = make_user()
    patient = patient_user.patient
    staff = make_user(role="front_desk")
    login_as(client, staff)
    form = client.get(f"/staff/patients/{patient.id}/documents/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert form.count("<h1") == 1
    response = _upload(client, patient, PDF, "Brief van het ziekenhuis.pdf",
                       title="Letter from the hospital")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/patients/{patient.id}"  # may not read it
    [document] = _documents()
    stored = document.file
    assert (document.title, stored.filename, stored.content_type, stored.size) == (
        "Letter from the hospital", "Brief van het ziekenhuis.pdf", "application/pdf", len(PDF))
    assert _db.session.scalar(select(StoredFile.data).where(StoredFile.id == stored.id)) == PDF
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.uploaded_by_id == staff.id
    event = _last_audit()
    assert (event.action, event.actor_id, event.patient_id, event.target) == (
        "document-added", staff.id, patient.id, f"document:{document.id}")

    patient_client = app.test_client()
    login_as(patient_client, patient_user)
    page = patient_client.get("/record/documents").get_data(as_text=True)
    assert "Letter from the hospital" in page and page.count("<h1") == 1
    assert f'href="/record/documents/{document.id}"' in page and "<caption" in page
    download = patient_client.get(f"/record/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="Brief van het ziekenhuis.pdf"')
    assert "sandbox" in download.headers["Content-Security-Policy"]
    event = _last_audit()
    assert (event.action, event.actor_id, event.target) == (
        "document-downloaded", patient_user.id, f"document:{document.id}")


@pytest.mark.parametrize("content, filename, mimetype", [
    (HTML, "results.pdf", "application/pdf"),
    (EXE, "scan.pdf", "application/pdf"),
    (EXE, "photo.png", "image/png"),
    (b"just some text", "letter.pdf", "application/pdf"),
])
def test_a_disguised_file_is_refused_next_to_the_field(client, clinic, uploads, content,
                                                       filename, mimetype):
    patient = make_patient()
    login_as(client, make_user(role="clinician"))
    response = _upload(client, patient, content, filename, mimetype=mimetype)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _field_error(page) == ("This file is not a PDF, JPEG or PNG, whatever its name "
                                  "says. Only those kinds of file can be added.")
    assert 'href="#file"' in page  # the error summary links to the field
    assert _documents() == [] and _stored_files() == 0


@pytest.mark.parametrize("content, filename, stored_as, named", [
    (PNG, "scan.pdf", "image/png", "scan.png"),
    (JPEG, "photo.png", "image/jpeg", "photo.jpg"),
    (PDF, "letter", "application/pdf", "letter.pdf"),
])
def test_a_file_is_kept_as_what_its_content_is(client, clinic, uploads, content, filename,
                                               stored_as, named):
    patient = make_patient()
    login_as(client, make_user(role="clinician"))
    assert _upload(client, patient, content, filename).status_code == 303
    [document] = _documents()
    assert (document.file.content_type, document.file.filename) == (stored_as, named)


def test_a_file_over_the_limit_gets_a_message_next_to_the_field(client, app, clinic, uploads,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024 * 1024)
    patient = make_patient()
    login_as(client, make_user(role="clinician"))
    response = _upload(client, patient, PDF + b"0" * (1024 * 1024), "big.pdf")
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True)) == (
        "The file is larger than 1 MB. Choose a smaller file.")
    assert _documents() == []


def test_a_request_over_the_servers_limit_gets_the_413_page(client, app, clinic, uploads,
                                                            monkeypatch):
    patient = make_patient()
    login_as(client, make_user(role="clinician"))
    token = csrf_token(client, f"/staff/patients/{patient.id}/documents/new")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = client.post(f"/staff/patients/{patient.id}/documents", data={
        "csrf_token": token, "title": "Huge",
        "file": (io.BytesIO(PDF + b"0" * (128 * 1024)), "huge.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    assert _documents() == [] and _stored_files() == 0


@pytest.mark.parametrize("title, content, field, message", [
    ("", PDF, "title", "Enter a title, for example: Letter from the hospital."),
    ("Empty", b"", "file", "The file is empty. Choose another file."),
])
def test_title_and_file_are_needed(client, clinic, uploads, title, content, field, message):
    patient = make_patient()
    login_as(client, make_user(role="admin"))
    response = _upload(client, patient, content, "a.pdf", title=title)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}',
                     response.get_data(as_text=True))
    assert _documents() == []


def test_an_upload_without_its_csrf_token_is_refused(client, clinic, uploads):
    patient = make_patient()
    login_as(client, make_user(role="clinician"))
    response = _upload(client, patient, PDF, "a.pdf", token=False)
    assert response.status_code == 400
    assert _documents() == [] and _stored_files() == 0


@pytest.mark.parametrize("role", ["billing", "patient"])
def test_only_clinicians_front_desk_and_admin_upload(client, clinic, uploads, role):
    patient = make_patient()
    login_as(client, make_user(role=role))
    assert client.get(f"/staff/patients/{patient.id}/documents/new").status_code == 404
    response = client.post(f"/staff/patients/{patient.id}/documents", data={
        "title": "x", "file": (io.BytesIO(PDF), "a.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert response.status_code in (400, 404) and _documents() == []


def _stored(patient, title="Letter", content=PDF) -> Document:
    document = Document(patient_id=patient.id, title=title, file=file_of(content, "letter.pdf"))
    _db.session.add(document)
    _db.session.commit()
    return document


def test_another_patients_document_is_404_with_an_audit_line(client, app, clinic, uploads):
    me = make_user()
    other = make_patient()
    theirs = _stored(other, title="Their secret letter")
    login_as(client, me)
    response = client.get(f"/record/documents/{theirs.id}")
    assert response.status_code == 404 and response.data != PDF
    event = _last_audit()
    assert (event.action, event.outcome, event.actor_id, event.target) == (
        "denied:records", "denied", me.id, f"document:{theirs.id}")
    assert "Their secret letter" not in client.get("/record/documents").get_data(as_text=True)
    # Nor through the staff addresses, which are for staff only.
    staff_url = f"/staff/patients/{other.id}/record/documents/{theirs.id}"
    assert client.get(staff_url).status_code == 404
    assert _last_audit().outcome == "denied"


def test_staff_see_documents_through_the_staff_addresses(client, clinic, uploads):
    patient = make_patient()
    document = _stored(patient, title="Scan of the referral")
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    base = f"/staff/patients/{patient.id}/record/documents"
    page = client.get(base).get_data(as_text=True)
    assert "Scan of the referral" in page and f'href="{base}/{document.id}"' in page
    assert f'href="/staff/patients/{patient.id}/documents/new"' in page
    assert client.get(f"{base}/{document.id}").data == PDF
    # The same document under another patient's address is refused.
    other = make_patient()
    wrong = client.get(f"/staff/patients/{other.id}/record/documents/{document.id}")
    assert wrong.status_code == 404
    assert (_last_audit().patient_id, _last_audit().outcome) == (other.id, "denied")


def test_front_desk_cannot_read_documents(client, clinic, uploads):
    patient = make_patient()
    _stored(patient)
    login_as(client, make_user(role="front_desk"))
    assert client.get(f"/staff/patients/{patient.id}/record/documents").status_code == 404


@pytest.mark.parametrize("uploaded, offered", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("Wynik badań.pdf", "Wynik badań.pdf"),
    ("....pdf", "document.pdf"),
])
def test_the_offered_file_name_is_safe(client, clinic, uploads, uploaded, offered):
    patient_user = make_user()
    login_as(client, make_user(role="clinician"))
    assert _upload(client, patient_user.patient, PDF, uploaded).status_code == 303
    [document] = _documents()
    assert document.file.filename == offered


@pytest.mark.parametrize("uploaded, offered", [
    ('C:\\Users\\me\\"quoted"; name.pdf', "quoted name.jpg"),
    ("line\r\nbreak\x00.png", "line break.jpg"),
    ("report.final.pdf", "report.final.jpg"),
    (None, "document.jpg"),
    ("x" * 300 + ".pdf", "x" * 100 + ".jpg"),
])
def test_file_names_lose_paths_quotes_and_control_characters(uploaded, offered):
    assert safe_filename(uploaded, "jpg") == offered


def test_a_non_ascii_name_is_sent_in_utf8(client, app, clinic, uploads):
    patient_user = make_user()
    login_as(client, make_user(role="clinician"))
    _upload(client, patient_user.patient, PDF, "Wynik badań.pdf")
    patient_client = app.test_client()
    login_as(patient_client, patient_user)
    response = patient_client.get(f"/record/documents/{_documents()[0].id}")
    assert "filename*=UTF-8''Wynik%20bada%C5%84.pdf" in response.headers["Content-Disposition"]


def test_the_list_costs_the_same_queries_for_5_or_200_documents(app, clinic):
    counts = {}
    for n in (5, 200):
        user = make_user()
        for i in range(n):
            _stored(user.patient, title=f"Letter {i}")
        client = app.test_client()
        login_as(client, user)
        with count_queries() as queries:
            page = client.get("/record/documents").get_data(as_text=True)
        counts[n] = queries()
        assert page.count('<th scope="row">') == min(n, 20)
    assert _db.session.scalar(select(func.count(Document.id))) == 205
    assert counts[5] == counts[200]


@pytest.mark.parametrize("role, links", [
    ("admin", {"documents", "download", "add"}),
    ("front_desk", {"add"}),
])
def test_the_staff_patient_page_links_to_what_the_role_may_do(client, clinic, role, links):
    patient = make_patient()
    login_as(client, make_user(role=role))
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    found = {name for name, href in [
        ("documents", f"/staff/patients/{patient.id}/record/documents"),
        ("download", f"/staff/patients/{patient.id}/record/download"),
        ("add", f"/staff/patients/{patient.id}/documents/new")] if f'href="{href}"' in page}
    assert found == links
