"""Uploaded files live in the database: saved with their row, sent back as they came.

Run it on PostgreSQL too: PORTAL_TEST_DATABASE_URL=postgresql+psycopg://... pytest this file.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header

from portal.billing.insurance import save_coverage
from portal.billing.models import Coverage
from portal.extensions import db as _db
from portal.family import services as family
from portal.family.models import AccessRequest
from portal.messages import services as messages
from portal.messages.models import Attachment, Message, Team, Thread
from portal.models import StoredFile
from portal.records.documents import add_document
from portal.records.models import Document
from tests.conftest import login_as, make_patient, make_user, post_form

#: A file of each accepted kind, each with bytes of its own to look for on disk.
PDF = b"%PDF-1.4\n%%EOF\n" + b"document-bytes-7f3a" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n" + b"attachment-bytes-9c1d" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + b"card-bytes-4b8e" + bytes(range(256))
LETTER = b"%PDF-1.7\n" + b"letter-bytes-2e6f" + bytes(range(256))


def _upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def _team() -> Team:
    team = Team(names={"en": "Desk"}, topics={"en": "Anything"}, position=1, active=True)
    _db.session.add(team)
    _db.session.commit()
    return team


def _files_on_disk_holding(folder: Path, *contents: bytes) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()
            and any(marker in path.read_bytes() for marker in contents)]


def _assert_download(response, data: bytes, content_type: str, filename: str) -> None:
    assert response.status_code == 200, response.status_code
    assert response.data == data
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(data))
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment", {"filename": filename})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_every_kind_of_upload_round_trips_through_the_database_and_no_folder(app, clinic):
    patient_user = make_user()
    patient = patient_user.patient
    team = _team()
    staff, me, mother, desk = (app.test_client() for _ in range(4))
    login_as(staff, make_user(role="clinician"))
    login_as(me, patient_user)
    login_as(mother, make_user(display_name="Anna de Vries"))
    login_as(desk, make_user(role="front_desk"))

    assert post_form(staff, f"/staff/patients/{patient.id}/documents",
                     {"title": "Letter", "file": _upload(PDF, "letter.pdf")},
                     page=f"/staff/patients/{patient.id}/documents/new",
                     content_type="multipart/form-data").status_code == 303
    assert post_form(me, "/messages/new", {
        "topic": str(team.id), "subject": "A scan", "body": "Here it is",
        "attachment": _upload(PNG, "scan.png")},
        content_type="multipart/form-data").status_code == 303
    assert post_form(me, "/billing/insurance", {
        "insurer": "Zilveren Kruis", "member_number": "123", "holder_name": "Anna Test",
        "relation": "self", "valid_from": "2026-01-01", "card": _upload(JPEG, "card.jpg")},
        content_type="multipart/form-data").status_code == 303
    assert post_form(mother, "/family/ask", {
        "given_name": "Daan", "family_name": "de Vries", "birth_date": "2018-01-02",
        "relationship": "parent", "document": _upload(LETTER, "birth certificate.pdf")},
        page="/family", content_type="multipart/form-data").status_code == 303

    # Nothing went to a folder: not the old upload folder, nor anywhere in the instance.
    old = Path(app.config["OLD_UPLOAD_DIR"])
    assert not old.exists() or list(old.iterdir()) == []
    assert _files_on_disk_holding(Path(app.config["INSTANCE_DIR"]), b"document-bytes-7f3a",
                                  b"attachment-bytes-9c1d", b"card-bytes-4b8e",
                                  b"letter-bytes-2e6f") == []
    assert _db.session.scalar(select(func.count(StoredFile.id))) == 4

    document = _db.session.scalar(select(Document))
    _assert_download(me.get(f"/record/documents/{document.id}"), PDF, "application/pdf",
                     "letter.pdf")
    thread = _db.session.scalar(select(Thread))
    attachment = _db.session.scalar(select(Attachment))
    _assert_download(me.get(f"/messages/{thread.id}/files/{attachment.id}"), PNG,
                     "image/png", "scan.png")
    coverage = _db.session.scalar(select(Coverage))
    _assert_download(me.get(f"/billing/insurance/{coverage.id}/card"), JPEG, "image/jpeg",
                     "card.jpg")
    request = _db.session.scalar(select(AccessRequest))
    response = desk.get(f"/staff/family/requests/{request.id}/document")
    _assert_download(response, LETTER, "application/pdf", "birth certificate.pdf")


def test_download_links_are_not_boosted_by_htmx(app, clinic):
    """A boosted link would swap the file's bytes into the page instead of downloading it."""
    patient_user = make_user()
    clinician = make_user(role="clinician")
    add_document(patient_user.patient, clinician, "Letter",
                 FileStorage(io.BytesIO(PDF), filename="letter.pdf"))
    mother = make_user()
    family.ask(mother, given_name="Daan", family_name="de Vries", birth_date=date(2018, 1, 2),
               relationship="parent", note="", document=FileStorage(io.BytesIO(LETTER),
                                                                    filename="b.pdf"))
    me, desk = app.test_client(), app.test_client()
    login_as(me, patient_user)
    login_as(desk, make_user(role="front_desk"))
    request = _db.session.scalar(select(AccessRequest))
    for client, page, link in (
            (me, "/record/documents", "/record/documents/"),
            (desk, f"/staff/family/requests/{request.id}",
             f"/staff/family/requests/{request.id}/document")):
        html = client.get(page).get_data(as_text=True)
        anchor = html[html.index(f'href="{link}'):]
        anchor = anchor[:anchor.index(">")]
        assert 'hx-boost="false"' in anchor, (page, anchor)


def _fail_on_commit():
    def refuse(session):
        raise RuntimeError("the database went away")
    session = _db.session.registry()
    event.listen(session, "before_commit", refuse)
    return lambda: event.remove(session, "before_commit", refuse)


def _save(kind: str, patient, user, team_id: int) -> None:
    def upload(data, name):
        return FileStorage(io.BytesIO(data), filename=name)

    if kind == "document":
        add_document(patient, user, "Letter", upload(PDF, "letter.pdf"))
    elif kind == "attachment":
        messages.start_thread(patient, user, team_id, "Scan", "Hello", upload(PNG, "s.png"))
    elif kind == "card":
        save_coverage(patient, user, insurer="CZ", member_number="1", holder_name="A",
                      relation="self", valid_from=date(2026, 1, 1), valid_to=None,
                      card=upload(JPEG, "card.jpg"))
    else:
        family.ask(user, given_name="Daan", family_name="de Vries", birth_date=date(2018, 1, 2),
                   relationship="parent", note="", document=upload(LETTER, "b.pdf"))


@pytest.mark.parametrize("kind", ["document", "attachment", "card", "letter"])
def test_a_change_whose_commit_fails_leaves_no_stored_file(app, clinic, kind):
    user = make_user()
    patient = user.patient if kind != "document" else make_patient()
    team_id = _team().id  # made before the failure is armed
    stop = _fail_on_commit()
    try:
        with pytest.raises(RuntimeError, match="went away"):
            _save(kind, patient, user, team_id)
    finally:
        stop()
    _db.session.rollback()
    assert _db.session.scalar(select(func.count(StoredFile.id))) == 0
    for model in (Document, Message, Attachment, Coverage, AccessRequest):
        assert _db.session.scalar(select(func.count()).select_from(model)) == 0, model
    # And the same change, committed, stores exactly one file.
    _save(kind, patient, user, team_id)
    assert _db.session.scalar(select(func.count(StoredFile.id))) == 1


def test_listing_never_loads_the_bytes(app, clinic):
    """Reading a file's bytes off a loaded row raises: lists cannot load them by accident."""
    clinician = make_user(role="clinician")
    patient = make_patient()
    add_document(patient, clinician, "Letter", FileStorage(io.BytesIO(PDF), filename="l.pdf"))
    _db.session.expire_all()
    document = _db.session.scalar(select(Document))
    assert document.file.size == len(PDF)
    with pytest.raises(Exception, match="raiseload"):
        document.file.data  # noqa: B018
