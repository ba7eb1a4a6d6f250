"""Authenticator codes: the RFC 6238 vectors, drift, replay, enrolment and recovery codes."""

import base64
import json
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from portal.auth import two_factor
from portal.auth.models import RecoveryCode
from portal.models import AuditEvent
from tests.conftest import PASSWORD, TOTP_SECRET, login_as, make_user, post_form

VECTORS = json.loads((Path(__file__).resolve().parents[3] / "shared" / "reference"
                      / "rfc6238_appendix_b.json").read_text())
SEEDS = {"SHA1": b"12345678901234567890", "SHA256": b"12345678901234567890" * 2,
         "SHA512": b"12345678901234567890" * 4}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['mode']}-{v['time']}")
def test_rfc6238_appendix_b_vectors(vector):
    import hashlib

    seed = SEEDS[vector["mode"]][:{"SHA1": 20, "SHA256": 32, "SHA512": 64}[vector["mode"]]]
    secret = base64.b32encode(seed).decode()
    totp = pyotp.TOTP(secret, digits=8, interval=30,
                      digest=getattr(hashlib, vector["mode"].lower()))
    assert totp.at(vector["time"]) == vector["totp"]
    assert int(vector["T_hex"], 16) == vector["time"] // 30


def test_the_portal_accepts_the_six_digit_rfc_code_at_t59():
    secret = base64.b32encode(SEEDS["SHA1"]).decode()
    assert two_factor.matching_step(secret, "287082", at=59) == 1


@pytest.mark.parametrize("offset,accepted", [(-60, False), (-30, True), (0, True), (30, False),
                                             (60, False)])
def test_the_current_step_and_one_step_back_never_a_future_one(offset, accepted):
    now = 1_800_000_000
    code = pyotp.TOTP(TOTP_SECRET).at(now + offset)
    assert (two_factor.matching_step(TOTP_SECRET, code, at=now) is not None) is accepted


def test_malformed_codes_are_refused():
    for code in ["", "12345", "1234567", "abcdef", "12 34 5"]:
        assert two_factor.matching_step(TOTP_SECRET, code) is None


def test_a_code_is_accepted_once_and_a_replay_is_logged(db, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    now = 1_800_000_000
    code = pyotp.TOTP(TOTP_SECRET).at(now)
    assert two_factor.check_totp(user, code, at=now)
    with pytest.raises(two_factor.CodeAlreadyUsed):
        two_factor.check_totp(user, code, at=now)
    older = pyotp.TOTP(TOTP_SECRET).at(now - 30)
    with pytest.raises(two_factor.CodeAlreadyUsed):
        two_factor.check_totp(user, older, at=now)  # a step not newer than the last one
    assert two_factor.check_totp(user, pyotp.TOTP(TOTP_SECRET).at(now + 30), at=now + 30)
    replays = db.session.scalars(select(AuditEvent).filter_by(outcome="replayed")).all()
    assert len(replays) == 2


def test_sign_in_asks_for_the_code_and_refuses_a_replay(client, db, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    first = post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    assert first.headers["Location"] == "/sign-in/code"
    assert client.get("/home").status_code == 303  # not signed in yet
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert post_form(client, "/sign-in/code", {"code": code}).status_code == 303
    client.post("/sign-out", data={"csrf_token": _token(client, "/home")})
    post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    replay = post_form(client, "/sign-in/code", {"code": code})
    assert replay.status_code == 422
    assert "already been used" in replay.get_data(as_text=True)


def test_a_wrong_code_is_refused_with_a_message_next_to_the_field(client, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    response = post_form(client, "/sign-in/code", {"code": "000000"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "That code is not right" in page
    assert 'autocomplete="one-time-code"' in page


def test_the_code_step_cannot_be_reached_without_the_password_step(client, clinic):
    response = client.get("/sign-in/code")
    assert response.headers["Location"] == "/sign-in"


def _token(client, url):
    from tests.conftest import csrf_token
    return csrf_token(client, url)


def test_staff_must_enrol_before_anything_else_and_enrolment_needs_a_correct_code(
        client, db, clinic):
    staff = make_user(role="front_desk", second_factor=None, totp_secret=None)
    post_form(client, "/sign-in", {"identifier": staff.username, "password": PASSWORD})
    blocked = client.get("/staff/patients")
    assert blocked.headers["Location"] == "/two-factor/setup"
    page = client.get("/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and 'class="key"' in page
    with client.session_transaction() as session:
        secret = session["totp_setup_secret"]
    wrong = post_form(client, "/two-factor/setup", {"code": "123456"})
    assert wrong.status_code == 422
    db.session.refresh(staff)
    assert staff.second_factor is None
    done = post_form(client, "/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert done.headers["Location"] == "/two-factor/recovery-codes"
    codes_page = client.get("/two-factor/recovery-codes").get_data(as_text=True)
    assert codes_page.count("<li><code>") == 10
    assert "<li><code>" not in client.get("/two-factor/recovery-codes").get_data(as_text=True)
    db.session.refresh(staff)
    assert staff.second_factor == "totp" and staff.totp_secret == secret
    stored = db.session.scalars(select(RecoveryCode).filter_by(user_id=staff.id)).all()
    assert len(stored) == 10 and all(c.code_hash.startswith("$argon2id$") for c in stored)
    assert client.get("/staff/patients").status_code == 200


def test_a_recovery_code_works_once(client, db, clinic):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    codes = two_factor.new_recovery_codes(user)
    db.session.commit()
    post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    response = post_form(client, "/sign-in/recovery-code", {"code": codes[0].lower()})
    assert response.status_code == 303 and response.headers["Location"] == "/home"
    assert "9 left" in client.get("/home").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": _token(client, "/home")})
    post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    again = post_form(client, "/sign-in/recovery-code", {"code": codes[0]})
    assert again.status_code == 422


def test_new_recovery_codes_replace_the_old_ones(db, clinic):
    user = make_user()
    old = two_factor.new_recovery_codes(user)
    db.session.commit()
    two_factor.new_recovery_codes(user)
    db.session.commit()
    assert not two_factor.use_recovery_code(user, old[0])
    assert two_factor.remaining_recovery_codes(user) == 10


def test_login_helper_signs_staff_in_with_their_code(client, clinic):
    staff = make_user(role="admin")
    login_as(client, staff)
    assert client.get("/staff/patients").status_code == 200
