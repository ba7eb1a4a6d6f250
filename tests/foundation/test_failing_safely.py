"""Failing safely: with the database read-only or its disk full, 503 and nothing half-saved.

Sign-in and every write answer 503 with a page in the reader's language ("nothing was
saved"), what was typed is kept as at a session timeout, and `/healthz` turns red.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from portal import create_app
from portal.extensions import db as _db
from portal.messages.models import Thread
from portal.models import AuditEvent
from tests.conftest import RequestIsolatingClient, login_as, make_user, post_form
from tests.messages.conftest import ALWAYS_OPEN, make_team

NOTHING_SAVED = "Nothing was saved"


@contextmanager
def read_only_database():
    """Every new connection of the engine is read-only (SQLite `PRAGMA query_only`).

    Root ignores file permissions, so a chmod would not stop the tests' writes; a
    read-only connection gives the same SQLite error ("attempt to write a readonly
    database") that a read-only file or file system gives.
    """
    engine = _db.engine

    def read_only(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only = ON")

    _db.session.commit()
    event.listen(engine, "connect", read_only)
    engine.dispose()
    try:
        yield
    finally:
        _db.session.rollback()
        event.remove(engine, "connect", read_only)
        engine.dispose()


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def _compose(client, team, body: str):
    return post_form(client, "/messages/new", {"topic": str(team.id), "subject": "Knee",
                                               "body": body},
                     content_type="multipart/form-data")


pytestmark = pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="makes the SQLite file read-only or fills its disk")


def test_healthz_turns_red_when_the_database_cannot_store(client, db):
    assert client.get("/healthz").status_code == 200
    with read_only_database():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database cannot store"
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("lang,words", [("en", NOTHING_SAVED), ("nl", "Er is niets opgeslagen"),
                                        ("pl", "Nic nie zostało zapisane")])
def test_sign_in_answers_503_in_the_readers_language_when_read_only(client, clinic, lang,
                                                                    words):
    user = make_user()
    client.set_cookie("lang", lang)
    page = client.get("/sign-in")
    assert page.status_code == 200
    with read_only_database():
        response = post_form(client, "/sign-in", {"identifier": user.username,
                                                  "password": "correct horse battery staple"})
        text = response.get_data(as_text=True)
    assert response.status_code == 503, text[:300]
    assert words in text
    assert f'<html lang="{lang}"' in text
    assert "Retry-After" in response.headers
    assert "correct horse" not in text


def test_a_message_sent_while_read_only_is_not_saved_and_the_words_are_kept(client, clinic):
    clinic.opening_hours = ALWAYS_OPEN
    team = make_team("Doctors", "A question for my doctor", make_user("clinician"))
    login_as(client, make_user())
    audit_lines = _count(AuditEvent)
    with read_only_database():
        response = _compose(client, team, "My knee hurts when I climb stairs")
        text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert NOTHING_SAVED in text and "What you typed has been kept." in text
    assert 'href="/messages/new"' in text
    assert _count(Thread) == 0 and _count(AuditEvent) == audit_lines

    again = client.get("/messages/new").get_data(as_text=True)
    assert "My knee hurts when I climb stairs" in again
    assert _compose(client, team, "My knee hurts when I climb stairs").status_code == 303
    assert _count(Thread) == 1


@pytest.fixture
def tiny_disk(tmp_path):
    """A 12 MB tmpfs, mounted for the test (needs root and `mount`)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)],
                            capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the disk is full; return it (delete it to make room again)."""
    filler = folder / "filler"
    chunk = b"\0" * (64 * 1024)
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    return filler


@pytest.fixture
def own_limiter_storage():
    """Flask-Limiter is one object per process and takes the storage of the app made last;
    the session's app gets its own back after the test."""
    from portal.extensions import limiter

    saved = limiter._storage, limiter._limiter
    yield
    limiter._storage, limiter._limiter = saved


def test_a_full_disk_gives_503_and_healthz_says_so(tiny_disk, db, own_limiter_storage):
    """A real full disk: the SQLite database lives on a 12 MB tmpfs that the test fills.

    Without root (no mount) the test is skipped.
    """
    app = create_app({"ENV_NAME": "testing", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tiny_disk / 'portal.db'}",
                      "INSTANCE_DIR": str(tiny_disk), "OUTBOX_DIR": str(tiny_disk / "outbox"),
                      "FAST_PASSWORD_HASHING": True, "HEALTH_MIN_FREE_MB": 1})
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        upgrade()
        from portal.clinic_setup import save_clinic

        save_clinic(name="Tiny Clinic", phone="+31 20 123 4567", email="desk@test.example",
                    address="Teststraat 1", emergency_number="112",
                    timezone="Europe/Amsterdam", opening_hours=ALWAYS_OPEN)
        team = make_team("Doctors", "A question for my doctor", make_user("clinician"))
        user = make_user()
        client = app.test_client()
        login_as(client, user)
        assert client.get("/healthz").status_code == 200

        filler = _fill(tiny_disk)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_data(as_text=True) in {"database disk full", "database cannot store"}
        long_words = "Every word of this message needs room on the disk. " * 90
        response = _compose(client, team, long_words)
        assert response.status_code == 503
        assert NOTHING_SAVED in response.get_data(as_text=True)
        stranger = app.test_client()
        signing_in = post_form(stranger, "/sign-in", {"identifier": user.username,
                                                      "password": "not the password"})
        assert signing_in.status_code == 503
        assert NOTHING_SAVED in signing_in.get_data(as_text=True)

        filler.unlink()
        assert client.get("/healthz").status_code == 200
        assert _count(Thread) == 0
        assert _compose(client, team, long_words).status_code == 303
        assert _count(Thread) == 1
        _db.session.remove()
        _db.engine.dispose()
