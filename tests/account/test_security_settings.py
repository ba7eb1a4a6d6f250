"""Security settings: password change, second factor, recovery codes and signed-in devices."""

import pyotp
import pytest
from sqlalchemy import select

from portal.account.devices import describe_device
from portal.auth.models import RecoveryCode, UserSession
from portal.models import AuditEvent
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login_as, make_user, post_form

NEW_PASSWORD = "quiet otter lantern harbour"
FIREFOX_ANDROID = ("Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0")
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36")


def _actions(db, user, action):
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == user.id, AuditEvent.action == action)))


def _second_client(app, user, user_agent=CHROME_WINDOWS):
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = user_agent
    login_as(other, user)
    return other


def test_changing_the_password_needs_the_current_one(client, clinic, db):
    user = make_user()
    login_as(client, user)
    response = post_form(client, "/account/password", {
        "current_password": "not my password", "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "The password is not right." in response.get_data(as_text=True)
    assert 'href="#current_password"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.failed_sign_ins == 0  # a wrong password here is refused, not counted
    assert _actions(db, user, "password-changed")[0].outcome == "failure"
    assert login_as(client.application.test_client(), user).status_code == 303


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, client, clinic, db,
                                                                   outbox):
    user = make_user()
    login_as(client, user)
    other = _second_client(app, user)
    assert other.get("/account/").status_code == 200
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/security"
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").headers["Location"].startswith("/sign-in")
    assert login_as(app.test_client(), user, password=NEW_PASSWORD).status_code == 303
    assert [e.outcome for e in _actions(db, user, "password-changed")] == ["success"]
    mail = outbox.last_body(user.email)
    assert "password" in mail and NEW_PASSWORD not in mail


@pytest.mark.parametrize("password,message", [
    ("abcdabcd12", "too easy to guess"),
    ("password1", "leaked from other websites"),
    ("short", "at least 8 characters"),
])
def test_a_weak_password_is_refused(client, clinic, db, password, message):
    user = make_user()
    login_as(client, user)
    old_hash = user.password_hash
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": password, "confirm": password})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_a_64_character_password_is_accepted(client, clinic):
    login_as(client, make_user())
    long = "river stone " * 5 + "lamp"
    assert len(long) == 64
    assert post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": long, "confirm": long}).status_code == 303


def test_the_security_page_shows_the_second_factor_and_unused_codes(client, clinic, db):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    post_form(client, "/account/security/recovery-codes", {"current_password": PASSWORD})
    html = client.get("/account/security").get_data(as_text=True)
    assert "Authenticator app" in html
    assert "You have 10 unused recovery codes" in html


def test_staff_cannot_turn_the_second_factor_off(client, clinic, db):
    staff = make_user(role="clinician")
    login_as(client, staff)
    page = client.get("/account/security/second-factor/off").get_data(as_text=True)
    assert "Staff accounts always use a second sign-in step" in page
    assert 'name="current_password"' not in page
    response = post_form(client, "/account/security/second-factor/off",
                         {"current_password": PASSWORD}, page="/account/security")
    assert response.status_code == 403
    db.session.refresh(staff)
    assert staff.second_factor == "totp" and staff.totp_secret == TOTP_SECRET
    assert _actions(db, staff, "second-factor-disabled")[0].outcome == "denied"


def test_patients_cannot_turn_it_off_when_the_clinic_requires_it(client, clinic, db):
    clinic.patient_2fa_required = True
    db.session.commit()
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    response = post_form(client, "/account/security/second-factor/off",
                         {"current_password": PASSWORD}, page="/account/security")
    assert response.status_code == 403
    db.session.refresh(user)
    assert user.second_factor == "totp"


def test_a_patient_turns_the_second_factor_off_with_the_password(client, clinic, db):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    wrong = post_form(client, "/account/security/second-factor/off",
                      {"current_password": "guess"})
    assert wrong.status_code == 422
    db.session.refresh(user)
    assert user.second_factor == "totp"
    response = post_form(client, "/account/security/second-factor/off",
                         {"current_password": PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.second_factor is None and user.totp_secret is None
    assert [e.outcome for e in _actions(db, user, "second-factor-disabled")] == [
        "failure", "success"]


def test_new_recovery_codes_need_only_the_password_and_are_shown_once(client, clinic, db):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    wrong = post_form(client, "/account/security/recovery-codes",
                      {"current_password": "guess"})
    assert wrong.status_code == 422
    assert db.session.scalar(select(RecoveryCode).filter_by(user_id=user.id)) is None
    response = post_form(client, "/account/security/recovery-codes",
                         {"current_password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/two-factor/recovery-codes"
    shown = client.get("/two-factor/recovery-codes").get_data(as_text=True)
    assert shown.count("<li><code>") == 10
    assert client.get("/two-factor/recovery-codes").get_data(as_text=True).count(
        "<li><code>") == 0
    codes = db.session.scalars(select(RecoveryCode).filter_by(user_id=user.id)).all()
    assert len(codes) == 10 and all(c.used_at is None for c in codes)
    assert [e.outcome for e in _actions(db, user, "recovery-codes-created")] == [
        "failure", "success"]


def test_replacing_the_authenticator_keeps_the_old_key_until_a_code_from_the_new_one(
        client, clinic, db):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    login_as(client, user)
    assert client.get("/two-factor/setup").status_code == 200
    with client.session_transaction() as session:
        new_secret = session["totp_setup_secret"]
    old_code = pyotp.TOTP(TOTP_SECRET).now()
    if old_code != pyotp.TOTP(new_secret).now():
        refused = post_form(client, "/two-factor/setup", {"code": old_code})
        assert refused.status_code == 422
    db.session.refresh(user)
    assert user.totp_secret == TOTP_SECRET
    accepted = post_form(client, "/two-factor/setup", {"code": pyotp.TOTP(new_secret).now()})
    assert accepted.status_code == 303
    db.session.refresh(user)
    assert user.totp_secret == new_secret


def test_the_devices_table_lists_both_sessions_and_signing_out_the_others(app, client,
                                                                          clinic, db):
    user = make_user()
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX_ANDROID
    login_as(client, user)
    other = _second_client(app, user, CHROME_WINDOWS)
    html = client.get("/account/security").get_data(as_text=True)
    assert '<caption id="devices-caption">2 devices signed in to your account</caption>' in html
    assert "Firefox on Android <strong>(this device)</strong>" in html
    assert "Chrome on Windows</th>" in html
    assert 'scope="col"' in html
    response = post_form(client, "/account/security/sign-out-others", {},
                         page="/account/security")
    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 other device has been signed out." in after
    assert '<caption id="devices-caption">1 device signed in to your account</caption>' in after
    assert other.get("/account/").headers["Location"].startswith("/sign-in")
    live = db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all()
    assert len(live) == 1
    ended = _actions(db, user, "sessions-ended")
    assert len(ended) == 1 and ended[0].target == "sessions:1"


def test_the_sign_out_page_works_without_the_security_page(app, client, clinic):
    user = make_user()
    login_as(client, user)
    other = _second_client(app, user)
    page = client.get("/account/security/sign-out-others").get_data(as_text=True)
    assert "You are signed in on 1 other device" in page
    client.post("/account/security/sign-out-others",
                data={"csrf_token": csrf_token(client, "/account/security/sign-out-others")})
    assert other.get("/account/").status_code == 303


@pytest.mark.parametrize("agent,expected", [
    (FIREFOX_ANDROID, "Firefox on Android"),
    (CHROME_WINDOWS, "Chrome on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0", "Edge on macOS"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
    ("curl/8.5", "Unknown device"),
    (None, "Unknown device"),
])
def test_devices_are_described_in_a_few_words(app, agent, expected):
    with app.test_request_context("/"):
        assert describe_device(agent) == expected
