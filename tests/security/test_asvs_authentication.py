"""ASVS 5.0 V6 (authentication): wrong second-step codes, a required second step,
breached passwords, enumeration and the TOTP window. Each test is named after its
requirement; tests/security/asvs.py lists what the suite covers."""

from __future__ import annotations

import base64
import hashlib
import json
import statistics
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from portal.auth import breached, two_factor
from portal.auth.models import RecoveryCode
from portal.auth.routes_recovery import ANSWER_SECONDS
from portal.mail.models import OutgoingMail
from portal.models import AuditEvent, ClinicSettings, User
from portal.security import hash_password
from portal.types import utcnow
from tests.conftest import PASSWORD, TOTP_SECRET, login_as, make_user, post_form

NEW_PASSWORD = "quiet otter lantern harbour"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _password_step(client, user, password=PASSWORD):
    return post_form(client, "/sign-in", {"identifier": user.username, "password": password})


def _wrong_code(user) -> str:
    right = {pyotp.TOTP(user.totp_secret).at(time.time() + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


# --- 6.3.1 wrong second-step codes count like wrong passwords --------------------------------

def test_asvs_6_3_1_twenty_five_wrong_codes_then_the_right_one_does_not_sign_in(
        client, db, clinic, outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    assert _password_step(client, user).headers["Location"] == "/sign-in/code"
    statuses = [post_form(client, "/sign-in/code", {"code": _wrong_code(user)},
                          page="/sign-in/code" if n < 5 else "/sign-in").status_code
                for n in range(25)]
    assert statuses[:4] == [422] * 4 and statuses[4] == 423
    right = post_form(client, "/sign-in/code", {"code": pyotp.TOTP(TOTP_SECRET).now()},
                      page="/sign-in")
    assert right.status_code == 423
    assert "locked" in right.get_data(as_text=True)
    assert client.get("/home").status_code == 303  # still not signed in
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    assert "locked" in outbox.last_body(user.email)
    assert db.session.scalar(select(AuditEvent).filter_by(action="lockout",
                                                          actor_id=user.id)) is not None


def test_asvs_6_3_1_a_right_password_does_not_wipe_out_wrong_codes(client, db, clinic):
    """Otherwise the password, typed again after every four wrong codes, would allow
    guessing codes for ever."""
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    for _ in range(2):
        _password_step(client, user)
        for _ in range(2):
            post_form(client, "/sign-in/code", {"code": _wrong_code(user)})
    _password_step(client, user)
    locked = post_form(client, "/sign-in/code", {"code": _wrong_code(user)})
    assert locked.status_code == 423
    assert _password_step(client, user).status_code == 423


def test_asvs_6_3_1_wrong_recovery_codes_lock_the_account_and_staff_unlock_it(
        app, client, db, clinic, outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password("ACDEFGHJKM")))
    db.session.commit()
    _password_step(client, user)
    answers = [post_form(client, "/sign-in/recovery-code", {"code": "QQQQQ-QQQQQ"},
                         page="/sign-in").status_code for _ in range(5)]
    assert answers == [422] * 4 + [423]
    refused = post_form(client, "/sign-in/recovery-code", {"code": "ACDEF-GHJKM"},
                        page="/sign-in")
    assert refused.status_code == 423
    assert "locked" in outbox.last_body(user.email)
    admin = make_user(role="admin")
    staff = app.test_client()
    login_as(staff, admin)
    unlocked = post_form(staff, f"/staff/patients/{user.patient_id}/unlock", {},
                         page=f"/staff/patients/{user.patient_id}")
    assert unlocked.status_code == 303
    db.session.refresh(user)
    assert user.locked_until is None and user.failed_sign_ins == 0
    _password_step(client, user)
    done = post_form(client, "/sign-in/recovery-code", {"code": "ACDEF-GHJKM"})
    assert done.status_code == 303 and client.get("/home").status_code == 200


def test_asvs_6_3_1_wrong_codes_on_a_reset_link_count_too(client, db, clinic, outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    post_form(client, "/forgot-password", {"identifier": user.username})
    link = next(line for line in outbox.last_body(user.email).split()
                if "/reset-password/" in line)
    link = link[link.index("/reset-password/"):]
    for _ in range(5):
        post_form(client, link, {"code": _wrong_code(user)})
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    refused = post_form(client, link, {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert refused.status_code == 422 and "Too many wrong codes" in refused.get_data(
        as_text=True)


# --- 6.3.3 a second step required for patients -------------------------------------------------

def test_asvs_6_3_3_off_by_default_and_switched_on_with_init_clinic(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "init-clinic", "--name", "Linden"]).exit_code == 0
    clinic = db.session.scalar(select(ClinicSettings))
    assert clinic.patient_2fa_required is False
    result = runner.invoke(args=["portal", "init-clinic", "--patients-need-second-step",
                                 "--no-email-codes"])
    assert result.exit_code == 0, result.output
    assert "Patients must use a second sign-in step." in result.output
    db.session.refresh(clinic)
    assert clinic.patient_2fa_required is True and clinic.email_codes_allowed is False
    assert "--patients-need-second-step" in runner.invoke(
        args=["portal", "init-clinic", "--help"]).output


def test_asvs_6_3_3_the_administrator_switches_it_on_and_other_staff_cannot(
        app, client, db, clinic):
    front_desk = app.test_client()
    login_as(front_desk, make_user(role="front_desk"))
    assert front_desk.get("/staff/settings/sign-in").status_code == 404
    admin = make_user(role="admin")
    login_as(client, admin)
    page = client.get("/staff/settings/sign-in").get_data(as_text=True)
    assert "Patients must use a second sign-in step" in page
    saved = post_form(client, "/staff/settings/sign-in",
                      {"patient_2fa_required": "y", "email_codes_allowed": "y"})
    assert saved.status_code == 303
    db.session.refresh(clinic)
    assert clinic.patient_2fa_required is True
    change = db.session.scalar(select(AuditEvent).filter_by(action="clinic-settings-changed"))
    assert change.actor_id == admin.id and change.target == "sign-in:patient_2fa_required"


@pytest.mark.parametrize("method", ["app", "email"])
def test_asvs_6_3_3_a_patient_without_a_second_step_sets_one_up_at_the_next_sign_in(
        client, db, clinic, method):
    clinic.patient_2fa_required = True
    db.session.commit()
    user = make_user()
    assert _password_step(client, user).headers["Location"] == "/two-factor/setup"
    assert client.get("/home").headers["Location"] == "/two-factor/setup"
    page = client.get("/two-factor/setup").get_data(as_text=True)
    assert "/two-factor/setup/email" in page  # codes by e-mail offered where allowed
    if method == "app":
        with client.session_transaction() as session:
            secret = session["totp_setup_secret"]
        done = post_form(client, "/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    else:
        done = post_form(client, "/two-factor/setup/email", {}, page="/two-factor/setup")
    assert done.headers["Location"] == "/two-factor/recovery-codes"
    assert client.get("/home").status_code == 200
    db.session.refresh(user)
    assert user.second_factor == {"app": "totp", "email": "email"}[method]


# --- 6.2.12 breached passwords ---------------------------------------------------------------

@pytest.mark.parametrize("password", ["correcthorsebatterystaple", "Monkey2024!!",
                                      "Correct Horse Battery Staple", "password123"])
def test_asvs_6_2_12_breached_passwords_are_refused(client, db, clinic, password):
    user = make_user()
    old_hash = user.password_hash
    login_as(client, user)
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": password, "confirm": password})
    assert response.status_code == 422
    assert "leaked from other websites" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_asvs_6_2_12_the_shipped_list_holds_django_s_20000_common_passwords():
    words = breached.common_passwords()
    assert len(words) > 19_600
    assert {"monkey", "password", "iloveyou", "qwerty", "correcthorsebatterystaple"} <= words
    licence = (breached.DATA / "LICENSE-common-passwords.txt").read_text()
    assert "Django Software Foundation" in licence


def test_asvs_6_2_12_a_good_password_still_passes():
    assert not breached.is_common(NEW_PASSWORD)
    assert not breached.is_common("Wh1stling-kettle-on-Tuesday")


class _RangeApi(BaseHTTPRequestHandler):
    """A stand-in for a k-anonymity range API: GET /range/<5 hex> lists suffixes."""

    known: dict[str, str] = {}
    asked: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server name
        self.asked.append(self.path)
        prefix = self.path.rsplit("/", 1)[-1]
        lines = [f"{suffix}:{count}" for full, count in self.known.items()
                 if full.startswith(prefix) for suffix in [full[5:]]]
        lines.append("0000000000000000000000000000000000A:0")  # padding line
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def range_api(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RangeApi)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    _RangeApi.asked = []
    app.config["BREACHED_PASSWORDS_API"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield _RangeApi
    finally:
        app.config["BREACHED_PASSWORDS_API"] = ""
        server.shutdown()
        server.server_close()


def test_asvs_6_2_12_a_range_api_is_asked_with_only_five_characters_of_the_hash(
        client, db, clinic, range_api):
    leaked = "Seven purple elephants 1997"
    digest = hashlib.sha1(leaked.encode()).hexdigest().upper()
    range_api.known = {digest: "42"}
    user = make_user()
    login_as(client, user)
    refused = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": leaked, "confirm": leaked})
    assert refused.status_code == 422
    assert "leaked from other websites" in refused.get_data(as_text=True)
    assert range_api.asked == [f"/range/{digest[:5]}"]
    accepted = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 303
    # Only ever the 5-character prefix: neither the password nor the rest of its hash.
    for path in range_api.asked:
        assert len(path.rsplit("/", 1)[-1]) == 5 and "elephant" not in path


def test_asvs_6_2_12_an_unreachable_range_api_fails_open_with_a_log_line(
        app, client, db, clinic, caplog, monkeypatch):
    import logging
    import socket

    # Another test (the migrations' fileConfig) may have switched existing loggers off.
    monkeypatch.setattr(app.logger, "disabled", False)
    caplog.set_level(logging.WARNING, logger="portal")
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["BREACHED_PASSWORDS_API"] = f"http://127.0.0.1:{port}"
    try:
        user = make_user()
        login_as(client, user)
        saved = post_form(client, "/account/password", {
            "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    finally:
        app.config["BREACHED_PASSWORDS_API"] = ""
    assert saved.status_code == 303
    assert "Breached-password API not reachable" in caplog.text


def test_asvs_6_2_12_the_range_api_is_off_by_default(app):
    assert app.config["BREACHED_PASSWORDS_API"] == ""


# --- 6.3.8 no telling which accounts exist ---------------------------------------------------

def _locked_page(response) -> str:
    """The locked page without the time it names (the two locks start moments apart) and
    the CSRF token (signed with the second it was made in)."""
    import re

    page = re.sub(r"after [^<]*\.", "after TIME.", response.get_data(as_text=True))
    return re.sub(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{10,}", "TOKEN", page)


def test_asvs_6_3_8_an_unknown_name_gets_the_same_locked_answer_as_a_real_one(
        client, db, clinic):
    user = make_user()
    real = [_password_step(client, user, "wrong guess") for _ in range(6)]
    ghost = [post_form(client, "/sign-in", {"identifier": "no-such-person",
                                            "password": "wrong guess"}) for _ in range(6)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [422] * 4 + [423] * 2
    assert _locked_page(real[-1]) == _locked_page(ghost[-1])
    # The name is kept only as a keyed hash, which expires by itself.
    from portal.extensions import limiter

    storage = limiter.storage
    assert not any("no-such-person" in key for key in getattr(storage, "storage", {}))


def test_asvs_6_3_8_forgot_password_sends_no_mail_inside_the_request(
        app, client, db, clinic, monkeypatch):
    import smtplib

    def no_mail_server(*args, **kwargs):
        raise AssertionError("a page talked to the mail server")

    monkeypatch.setattr(smtplib, "SMTP", no_mail_server)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    user = make_user()
    answer = post_form(client, "/forgot-password", {"identifier": user.username})
    assert answer.status_code == 303
    assert db.session.scalar(select(func.count(OutgoingMail.id)).where(
        OutgoingMail.to_address == user.email)) == 1


def test_asvs_6_3_8_forgot_password_takes_the_same_time_for_known_and_unknown_accounts(
        client, db, clinic):
    user = make_user()
    token_page = "/forgot-password"
    from tests.conftest import csrf_token

    token = csrf_token(client, token_page)

    def timed(identifier: str) -> float:
        started = time.perf_counter()
        answer = client.post(token_page, data={"csrf_token": token, "identifier": identifier})
        assert answer.status_code == 303
        return time.perf_counter() - started

    for identifier in (user.username, "nobody-at-all"):
        timed(identifier)  # warm up both paths
    known, unknown = [], []
    for n in range(6):  # interleaved, so that load on the machine hits both alike
        known.append(timed(user.username))
        unknown.append(timed(f"nobody-{n}"))
    fast, slow = sorted([statistics.median(known), statistics.median(unknown)])
    assert fast >= ANSWER_SECONDS
    assert slow - fast < 0.02, (known, unknown)


# --- 6.5.1 / 6.5.5 the TOTP window ------------------------------------------------------------

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
SHA1_VECTORS = [v for v in json.loads((REFERENCE / "rfc6238_appendix_b.json").read_text())
                if v["mode"] == "SHA1"]


@pytest.mark.parametrize("vector", SHA1_VECTORS, ids=lambda v: str(v["time"]))
def test_asvs_6_5_5_a_totp_code_is_accepted_in_its_step_and_one_after_never_before(vector):
    code = vector["totp"][-6:]  # the 6-digit code is the 8-digit one's last six digits
    step = vector["time"] // 30
    assert two_factor.matching_step(RFC_SECRET, code, at=vector["time"]) == step
    assert two_factor.matching_step(RFC_SECRET, code, at=(step + 1) * 30 + 29) == step
    assert two_factor.matching_step(RFC_SECRET, code, at=(step + 2) * 30) is None
    # A code of a step still to come: the clock would be behind, or the code made early.
    assert two_factor.matching_step(RFC_SECRET, code, at=(step - 1) * 30) is None


def test_asvs_6_5_1_an_accepted_code_cannot_be_used_again(db, clinic):
    user = make_user(second_factor="totp", totp_secret=RFC_SECRET)
    assert two_factor.check_totp(user, "287082", at=59)
    with pytest.raises(two_factor.CodeAlreadyUsed):
        two_factor.check_totp(user, "287082", at=60)


def test_asvs_6_3_1_the_lock_lasts_the_documented_fifteen_minutes(client, db, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    _password_step(client, user)
    for _ in range(5):
        post_form(client, "/sign-in/code", {"code": _wrong_code(user)}, page="/sign-in")
    db.session.refresh(user)
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    assert db.session.get(User, user.id).failed_sign_ins == 0  # the lock starts a new count
