"""Attachments are checked by content and served safely; no typed HTML ever runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from portal.auth.models import UserSession
from portal.extensions import db
from portal.messages.models import Attachment
from portal.models import StoredFile
from tests.conftest import login_as, make_user
from tests.messages.helpers import PDF, PNG, send, threads

SCRIPT = '<script>alert("x")</script>'
IMAGE = '<img src=x onerror=alert(1)>'


def _stored_files(app) -> list[int]:
    """The stored files' ids; the old upload folder stays empty, whatever happens."""
    folder = Path(app.config["OLD_UPLOAD_DIR"])
    assert not folder.exists() or list(folder.iterdir()) == []
    return list(db.session.scalars(select(StoredFile.id)))


def test_a_pdf_is_stored_privately_and_downloaded_safely(app, client, teams):
    login_as(client, make_user())
    before = _stored_files(app)
    assert send(client, teams["doctors"], file=("referral letter.pdf", PDF)).status_code == 303
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert (attachment.file.filename, attachment.file.content_type, attachment.file.size) == (
        "referral letter.pdf", "application/pdf", len(PDF))
    assert len(_stored_files(app)) == len(before) + 1
    thread = threads()[0]
    response = client.get(f"/messages/{thread.id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("name,content", [
    ("letter.pdf", b"<html><script>alert(1)</script></html>"),
    ("photo.jpg", b"MZ\x90\x00 a Windows program"),
    ("empty.pdf", b""),
])
def test_disguised_or_empty_files_are_refused_and_nothing_is_saved(app, client, teams, name,
                                                                   content):
    login_as(client, make_user())
    before = _stored_files(app)
    response = send(client, teams["doctors"], "Kept subject", "Kept body", file=(name, content))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("This file is not a PDF, JPEG or PNG" in page or "The file is empty" in page)
    assert "Kept subject" in page and "Kept body" in page
    assert threads() == [] and _stored_files(app) == before


def test_an_oversized_file_is_refused(app, client, teams):
    login_as(client, make_user())
    app.config["MAX_UPLOAD_BYTES"] = 1000
    try:
        response = send(client, teams["doctors"], file=("big.pdf", PDF + b"0" * 2000))
    finally:
        app.config["MAX_UPLOAD_BYTES"] = None
    assert response.status_code == 422
    assert "The file is larger than" in response.get_data(as_text=True)
    assert threads() == []


@pytest.mark.parametrize("limit,locale,shown", [
    (10 * 1024 * 1024, "nl", "10 MB"), (5 * 1024 * 1024 // 2, "pl", "2,5 MB"),
    (10 * 1024 * 1024, "en", "at most 10 MB")])
def test_the_upload_limit_reads_as_people_write_it(app, client, teams, monkeypatch, limit,
                                                     locale, shown):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", limit)
    login_as(client, make_user(locale=locale))
    page = client.get("/messages/new").get_data(as_text=True)
    hint = page.split('id="attachment-hint"', 1)[1].split("</p>", 1)[0]
    assert shown in hint and "10.0" not in hint and "10,0" not in hint
    if limit < 10 * 1024 * 1024:  # above the request limit the server refuses the body itself
        too_big = send(client, teams["doctors"], file=("big.pdf", PDF + b"0" * limit))
        assert too_big.status_code == 422 and threads() == []
        assert shown in too_big.get_data(as_text=True)


def test_a_png_named_pdf_is_kept_as_the_png_it_is(client, teams):
    login_as(client, make_user())
    send(client, teams["doctors"], file=("scan.pdf", PNG))
    attachment = db.session.scalar(select(Attachment))
    assert (attachment.file.filename, attachment.file.content_type) == ("scan.png", "image/png")


def test_script_and_html_in_subject_body_and_file_name_are_shown_as_text(app, client, teams,
                                                                         doctor):
    user = make_user()
    login_as(client, user)
    send(client, teams["doctors"], SCRIPT, f"{IMAGE}\njavascript:alert(2)",
         file=("'><b onmouseover=alert(3)>x.pdf", PDF))
    thread = threads()[0]
    staff = app.test_client()
    login_as(staff, doctor)
    for page in (client.get("/messages").get_data(as_text=True),
                 client.get(f"/messages/{thread.id}").get_data(as_text=True),
                 staff.get("/staff/messages").get_data(as_text=True),
                 staff.get(f"/staff/messages/{thread.id}").get_data(as_text=True)):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert 'href="javascript' not in page
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    filename = db.session.scalar(select(StoredFile.filename))
    assert "<" not in filename and ">" not in filename and filename.endswith(".pdf")
    assert "<b onmouseover" not in page


def test_a_staff_note_attachment_route_does_not_leak_across_threads(app, client, teams):
    login_as(client, make_user())
    send(client, teams["doctors"], "First", file=("a.pdf", PDF))
    send(client, teams["doctors"], "Second")
    first, second = threads()
    attachment = db.session.scalar(select(Attachment))
    assert client.get(f"/messages/{second.id}/files/{attachment.id}").status_code == 404


def test_the_unread_count_refreshes_without_keeping_the_session_alive(app, client, teams):
    user = make_user()
    login_as(client, user)
    session = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    from datetime import timedelta
    session.last_seen_at = session.last_seen_at - timedelta(minutes=5)
    db.session.commit()
    seen = session.last_seen_at
    fragment = client.get("/messages/unread", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.get_data(as_text=True).strip().startswith('<span id="unread-count"')
    db.session.refresh(session)
    assert session.last_seen_at == seen
    plain = client.get("/messages/unread")
    assert plain.status_code == 303 and plain.headers["Location"] == "/messages"
