"""ASVS 5.0 V7 (sessions) and V3 (cookies, safe methods): the password asked again before
sign-in settings change, older reset links, __Host- cookies, GETs that change nothing,
and rate limits counted exactly in the database. tests/security/asvs.py lists what the
suite covers."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.auth.models import RecoveryCode, UserSession
from portal.auth.reauth import REAUTH_KEY
from portal.models import AuditEvent
from portal.rate_limits import DatabaseStorage
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login_as, make_user, post_form

#: The pages that change how an account is protected and have no password field of
#: their own: each asks for the password when it was not typed in the last few minutes.
GUARDED_PAGES = [
    ("GET", "/two-factor/setup"),
    ("POST", "/two-factor/setup"),
    ("POST", "/two-factor/setup/email"),
    ("GET", "/account/security/sign-out-others"),
    ("POST", "/account/security/sign-out-others"),
]


def _age_the_password(client, minutes: int = 6) -> None:
    """As if the password was last typed `minutes` ago."""
    with client.session_transaction() as session:
        session[REAUTH_KEY] = int(time.time()) - minutes * 60


@pytest.fixture
def signed_in(client, db, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    return user


# --- 7.5.1 / 7.5.2 the password again before a change ----------------------------------------

@pytest.mark.parametrize("method,path", GUARDED_PAGES)
def test_asvs_7_5_1_sign_in_settings_ask_for_the_password_after_a_few_minutes(
        client, signed_in, method, path):
    token = csrf_token(client, "/account/security")
    _age_the_password(client)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": token, "code": "123456"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/confirm-password?next=")


def test_asvs_7_5_1_a_stolen_session_cannot_replace_the_authenticator(client, db, signed_in):
    """The finding: POST /two-factor/setup with a code from a new key, no password."""
    assert client.get("/two-factor/setup").status_code == 200
    with client.session_transaction() as session:
        new_secret = session["totp_setup_secret"]
    _age_the_password(client)
    refused = post_form(client, "/two-factor/setup", {"code": pyotp.TOTP(new_secret).now()},
                        page="/account/security")
    assert refused.headers["Location"] == "/confirm-password?next=/two-factor/setup"
    db.session.refresh(signed_in)
    assert signed_in.totp_secret == TOTP_SECRET


def test_asvs_7_5_1_the_confirm_page_takes_the_password_and_goes_back(client, db, signed_in):
    _age_the_password(client)
    asked = client.get("/two-factor/setup")
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Confirm it is you" in page and 'autocomplete="current-password"' in page
    assert 'type="password"' in page and "<script" not in page.split("</head>")[1]
    wrong = post_form(client, asked.headers["Location"], {"password": "not it"})
    assert wrong.status_code == 422 and "The password is not right." in wrong.get_data(
        as_text=True)
    assert db.session.scalar(select(AuditEvent).filter_by(
        action="reauthenticated", outcome="failure", actor_id=signed_in.id)) is not None
    right = post_form(client, asked.headers["Location"], {"password": PASSWORD})
    assert right.status_code == 303 and right.headers["Location"] == "/two-factor/setup"
    assert client.get("/two-factor/setup").status_code == 200
    # ... and for a few minutes the other settings need no password either
    assert client.get("/account/security/sign-out-others").status_code == 200


def test_asvs_7_5_1_the_confirm_page_speaks_the_reader_s_language(client, signed_in):
    _age_the_password(client)
    client.get("/language/nl?next=/account/")
    page = client.get("/confirm-password?next=/two-factor/setup").get_data(as_text=True)
    assert '<html lang="nl"' in page and "Confirm it is you" not in page


def test_asvs_7_5_1_the_confirm_page_sends_nobody_elsewhere(client, signed_in):
    _age_the_password(client)
    done = post_form(client, "/confirm-password?next=https://evil.example/", {
        "password": PASSWORD}, page="/confirm-password")
    assert done.headers["Location"] == "/account/security"


def test_asvs_7_5_1_switching_on_e_mail_codes_asks_for_the_password(client, db, clinic):
    user = make_user()
    login_as(client, user)
    _age_the_password(client)
    refused = post_form(client, "/two-factor/setup/email", {}, page="/account/security")
    assert refused.headers["Location"].startswith("/confirm-password")
    db.session.refresh(user)
    assert user.second_factor is None


@pytest.mark.parametrize("path,data,field", [
    ("/account/security/recovery-codes", {}, "current_password"),
    ("/account/password", {"password": "quiet otter lantern harbour",
                           "confirm": "quiet otter lantern harbour"}, "current_password"),
    ("/account/email", {"email": "new@mail.example"}, "password"),
])
def test_asvs_7_5_1_recovery_codes_password_and_e_mail_need_the_password_on_the_page(
        client, db, signed_in, path, data, field):
    before = (signed_in.password_hash, signed_in.pending_email)
    refused = post_form(client, path, {**data, field: "wrong password"})
    assert refused.status_code == 422
    assert "The password is not right." in refused.get_data(as_text=True)
    db.session.refresh(signed_in)
    assert (signed_in.password_hash, signed_in.pending_email) == before
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    assert post_form(client, path, {**data, field: PASSWORD}).status_code == 303


def test_asvs_7_5_2_signing_out_other_devices_asks_for_the_password(app, client, db,
                                                                    signed_in):
    other = app.test_client()
    login_as(other, signed_in)
    _age_the_password(client)
    page = client.get("/account/security/sign-out-others")
    assert page.headers["Location"].startswith("/confirm-password")
    post_form(client, page.headers["Location"], {"password": PASSWORD})
    done = post_form(client, "/account/security/sign-out-others", {})
    assert done.status_code == 303
    assert other.get("/account/").status_code == 303  # signed out
    live = db.session.scalar(select(func.count(UserSession.id)).where(
        UserSession.user_id == signed_in.id, UserSession.ended_at.is_(None)))
    assert live == 1


def test_asvs_7_5_1_the_window_is_a_documented_setting(app):
    from pathlib import Path

    assert app.config["REAUTH_MINUTES"] == 5
    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    assert "`PORTAL_REAUTH_MINUTES`" in docs


# --- 6.4.3 an older reset link stops working -----------------------------------------------

def test_asvs_6_4_3_an_older_reset_link_stops_working_when_a_newer_one_is_sent(
        client, db, clinic, outbox):
    user = make_user()
    links = []
    for _ in range(2):
        post_form(client, "/forgot-password", {"identifier": user.username})
        body = outbox.last_body(user.email)
        link = re.search(r"(/reset-password/\S+)", body).group(1)
        links.append(link)
    assert links[0] != links[1]
    assert client.get(links[0]).status_code == 410
    assert client.get(links[1]).status_code == 200


# --- 3.3.1 / 3.3.3 cookies ----------------------------------------------------------------------

def test_asvs_3_3_3_cookies_have_the_host_prefix_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 64)
    production = create_app({"ENV_NAME": "production", "INSTANCE_DIR": str(tmp_path),
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                             "RATELIMIT_STORAGE_URI": "memory://"})
    assert production.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_PATH"] == "/"
    assert not production.config.get("SESSION_COOKIE_DOMAIN")
    with production.test_request_context("/", base_url="https://portal.example"):
        from flask import make_response

        from portal.i18n import set_lang_cookie

        cookie = set_lang_cookie(make_response("ok"), "nl").headers["Set-Cookie"]
    assert cookie.startswith("__Host-lang=nl;")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_asvs_3_3_3_the_session_cookie_is_sent_with_the_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 64)
    production = create_app({"ENV_NAME": "production", "INSTANCE_DIR": str(tmp_path),
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                             "RATELIMIT_STORAGE_URI": "memory://"})
    with production.test_request_context("/", base_url="https://portal.example"):
        from flask import session

        session["x"] = 1
        response = production.make_response("ok")
        production.session_interface.save_session(production, session, response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert "HttpOnly" in cookie


def test_asvs_3_3_3_the_language_cookie_is_read_under_its_prefixed_name(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 64)
    production = create_app({"ENV_NAME": "production", "INSTANCE_DIR": str(tmp_path),
                             "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                             "RATELIMIT_STORAGE_URI": "memory://"})
    with production.test_request_context("/", base_url="https://portal.example",
                                         headers={"Cookie": "__Host-lang=pl"}):
        from portal.i18n import select_locale

        assert select_locale() == "pl"


# --- 3.5.3 a GET never changes data: the check-in page ------------------------------------------

def test_asvs_3_5_3_opening_the_check_in_page_makes_no_form_copies(client, db, clinic):
    from portal.questionnaires.models import FormResponse
    from portal.types import utcnow
    from tests.appointments.conftest import book as book_fixture
    from tests.appointments.conftest import make_appointment, make_slot
    from tests.questionnaires.conftest import make_questionnaire

    book = book_fixture.__wrapped__(clinic)
    form = make_questionnaire()
    form.appointment_types = [book.kind]
    db.session.commit()
    user = make_user()
    slot = make_slot(book, utcnow().replace(microsecond=0) + timedelta(days=1), book.kind)
    visit = make_appointment(user.patient, slot, book.kind)
    login_as(client, user)
    page = client.get(f"/appointments/{visit.id}/check-in")
    assert page.status_code == 200, page.status_code
    assert db.session.scalar(select(func.count(FormResponse.id))) == 0
    html = page.get_data(as_text=True)
    start_url = f"/appointments/{visit.id}/forms/{form.id}"
    assert f'<form method="post" action="{start_url}"' in html
    started = post_form(client, start_url, {}, page=f"/appointments/{visit.id}/check-in")
    made = db.session.scalar(select(FormResponse))
    assert started.headers["Location"] == f"/forms/{made.id}"
    assert made.appointment_id == visit.id and made.patient_id == user.patient_id


# --- 6.3.1 / 2.4.1 rate limits counted exactly, whichever worker answers ------------------------

def test_asvs_6_3_1_the_database_storage_counts_every_hit_of_simultaneous_workers(app):
    """Eight threads, each with an engine of its own as a worker process has, hit one counter
    100 times: the count is exactly 800 (memory:// in each worker would see far fewer)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    storages = [DatabaseStorage("database://", database_url=url) for _ in range(8)]
    storages[0].clear("portal/test/hits")

    def hammer(storage):
        for _ in range(100):
            storage.incr("portal/test/hits", 600)

    started = time.time()
    threads = [threading.Thread(target=hammer, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storages[3].get("portal/test/hits") == 800
    # One window, begun by the first hit: 600 seconds from then.
    assert started + 600 <= storages[0].get_expiry("portal/test/hits") <= time.time() + 600
    storages[0].clear("portal/test/hits")
    assert storages[1].get("portal/test/hits") == 0
    for storage in storages:
        storage.engine().dispose()


def test_asvs_6_3_1_an_ended_window_starts_again_from_one(app):
    storage = DatabaseStorage("database://", database_url=app.config["SQLALCHEMY_DATABASE_URI"])
    storage.incr("portal/test/window", 1)
    storage.incr("portal/test/window", 1)
    time.sleep(1.1)
    assert storage.get("portal/test/window") == 0
    assert storage.incr("portal/test/window", 60) == 1
    storage.clear("portal/test/window")
    storage.engine().dispose()


def test_asvs_6_3_1_the_database_is_the_default_rate_limit_storage(monkeypatch):
    monkeypatch.delenv("PORTAL_RATELIMIT_STORAGE_URI", raising=False)
    from portal.config import load_config

    production = load_config({"ENV_NAME": "production", "SECRET_KEY": "x" * 64})
    assert production["RATELIMIT_STORAGE_URI"] == "database://"


def test_asvs_7_2_4_typing_the_password_again_gives_a_new_session_id(client, db, signed_in):
    with client.session_transaction() as session:
        old_sid = session["sid"]
    _age_the_password(client)
    post_form(client, "/confirm-password?next=/account/security", {"password": PASSWORD},
              page="/confirm-password")
    with client.session_transaction() as session:
        new_sid = session["sid"]
    assert new_sid != old_sid
    old = db.session.get(UserSession, old_sid)
    assert old.ended_at is not None and old.ended_reason == "renewed"
    assert client.get("/account/security").status_code == 200
