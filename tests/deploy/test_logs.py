"""Logs without health data: no query strings, tokens, form bodies or database values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from portal.extensions import db as _db
from portal.logs import safe_path, scrub
from tests.conftest import make_user


def test_paths_lose_their_query_string_and_tokens():
    token = "eyJ1IjozLCJmIjoiOWM1YTQ0In0.aBcD12.kP3xQz-9vY_sR2tU5wX8yZ0aB1cD"
    assert safe_path("/staff/patients?q=Bennett") == "/staff/patients"
    assert safe_path(f"/reset-password/{token}") == "/reset-password/:token"
    assert safe_path(f"/verify-email/{token}?x=1") == "/verify-email/:token"
    assert safe_path("/static/css/portal.3f2a9c1d12ab.css") == "/static/css/portal.3f2a9c1d12ab.css"
    assert safe_path("/record/results/42") == "/record/results/42"


def test_log_text_loses_query_strings_and_database_details():
    text = ('Error handling request GET /staff/patients?q=Bennett&born=1984\n'
            'psycopg.errors.UniqueViolation: duplicate key value violates unique constraint\n'
            'DETAIL:  Key (email)=(oliver.bennett@mail.example) already exists.\n'
            '[SQL: INSERT INTO users (username) VALUES (%(username)s)]')
    cleaned = scrub(text)
    assert "Bennett" not in cleaned and "born=" not in cleaned
    assert "oliver.bennett" not in cleaned
    assert "GET /staff/patients" in cleaned and "UniqueViolation" in cleaned


def test_log_text_loses_e_mail_addresses():
    refused = "SMTPRecipientsRefused({'grace.thompson@mail.example': (550, b'no such user')})"
    assert "grace" not in scrub(refused) and "<e-mail>" in scrub(refused)


def test_an_error_logged_by_the_portal_holds_no_values_from_the_database(app, db, caplog,
                                                                        monkeypatch):
    # Alembic's logging set-up (migrations/env.py), run in this process by the `app`
    # fixture, switches existing loggers off; a served portal never runs it.
    monkeypatch.setattr(app.logger, "disabled", False)
    twin = {"username": "kept-out-of-logs", "email": "kept.out@mail.example"}
    make_user(**twin)
    caplog.set_level(logging.ERROR, logger="portal")
    with pytest.raises(IntegrityError):
        try:
            make_user(**twin)
        except IntegrityError:
            app.logger.exception("Unhandled error on %s", "/account?name=Bennett")
            raise
    _db.session.rollback()
    assert "IntegrityError" in caplog.text
    assert "kept-out-of-logs" not in caplog.text and "kept.out" not in caplog.text
    assert "Bennett" not in caplog.text


def test_the_engine_never_puts_sql_parameters_into_messages(app, db):
    assert _db.engine.hide_parameters is True
