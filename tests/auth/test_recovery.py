"""Getting back in: forgotten password and username, reset links, verification again."""

import re
from datetime import timedelta

import pyotp
import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from portal.auth import two_factor
from portal.auth.models import UserSession
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import PASSWORD, TOTP_SECRET, login_as, make_user, post_form, totp_now

NEW_PASSWORD = "quiet otter paints blue lanterns"
LINK = re.compile(r"https?://\S+")
TOKEN_FIELD = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')


def _main(response) -> str:
    """The page's main content, CSRF tokens left out (they differ per session)."""
    text = TOKEN_FIELD.sub("TOKEN", response.get_data(as_text=True))
    return text[text.index("<main"):text.index("</main>")]


def _ask_and_follow(client, url: str, data: dict):
    response = post_form(client, url, data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    return response, page


def _reset_link(outbox, user) -> str:
    """The path of the reset link in the last mail to `user`."""
    [link] = [m for m in LINK.findall(outbox.last_body(user.email)) if "/reset-password/" in m]
    return link[link.index("/reset-password/"):]


def _request_reset(client, outbox, user) -> str:
    post_form(client, "/forgot-password", {"identifier": user.username})
    return _reset_link(outbox, user)


def _mail_subjects(outbox, address) -> list[str]:
    return [m["Subject"] for m in outbox.to(address)]


# --- Forgot password ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "email"])
def test_forgot_password_gives_the_same_answer_for_known_and_unknown_accounts(
        client, clinic, outbox, field):
    user = make_user()
    known_post, known = _ask_and_follow(client, "/forgot-password",
                                        {"identifier": getattr(user, field)})
    unknown_post, unknown = _ask_and_follow(client, "/forgot-password",
                                            {"identifier": "nobody@nowhere.example"})
    assert known_post.headers["Location"] == unknown_post.headers["Location"]
    assert known.status_code == unknown.status_code == 200
    assert _main(known) == _main(unknown)
    assert "If an account matches, we have sent an e-mail with a link" in _main(known)
    # only the real account got a mail
    assert len(outbox.messages()) == 1
    assert outbox.messages()[0]["To"] == user.email


def test_forgot_password_does_the_same_work_for_an_unknown_account(client, clinic, outbox,
                                                                   monkeypatch):
    """The mail is rendered whether or not there is anyone to send it to."""
    import portal.auth.recovery
    import portal.mail

    rendered = []
    real = portal.mail.render_mail

    def spy(template, locale, **context):
        rendered.append(template)
        return real(template, locale, **context)

    monkeypatch.setattr(portal.mail, "render_mail", spy)
    monkeypatch.setattr(portal.auth.recovery, "render_mail", spy)
    user = make_user()
    post_form(client, "/forgot-password", {"identifier": user.username})
    known, rendered[:] = list(rendered), []
    post_form(client, "/forgot-password", {"identifier": "nobody"})
    assert known == rendered == ["reset_password"]


def test_an_account_without_an_address_or_disabled_gets_no_mail_and_the_same_answer(
        client, clinic, outbox):
    no_address = make_user(email=None)
    disabled = make_user(enabled=False)
    pages = [_main(_ask_and_follow(client, "/forgot-password", {"identifier": u.username})[1])
             for u in (no_address, disabled)]
    assert pages[0] == pages[1]
    assert outbox.messages() == []


def test_an_empty_request_is_refused_next_to_the_field(client, clinic):
    response = post_form(client, "/forgot-password", {"identifier": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in page and 'href="#identifier"' in page
    assert 'id="identifier-error"' in page


def test_the_reset_mail_has_a_link_and_no_more_than_the_name(client, clinic, outbox):
    user = make_user()
    link = _request_reset(client, outbox, user)
    [mail] = outbox.to(user.email)
    body = mail.get_content()
    assert mail["Subject"] == "Choose a new password for the portal"
    assert user.display_name in body and "30 minutes" in body
    assert user.patient.patient_number not in body
    assert link.startswith("/reset-password/")


def test_the_reset_link_points_at_the_portal_whatever_host_was_asked_for(app, client, clinic,
                                                                        outbox):
    """A forged Host header must not put someone else's server in a genuine link."""
    user = make_user()
    evil = "http://evil.example"
    page = client.get("/forgot-password", base_url=evil).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/forgot-password", base_url=evil,
                           data={"csrf_token": token, "identifier": user.username})
    assert response.status_code == 303
    [link] = LINK.findall(outbox.last_body(user.email))
    assert link.startswith(app.config["BASE_URL"].rstrip("/") + "/reset-password/")
    assert "evil.example" not in outbox.last_body(user.email)


# --- The reset link ------------------------------------------------------------------


def test_a_reset_link_sets_a_new_password_and_tells_the_owner(client, db, clinic, outbox):
    user = make_user(locked_until=utcnow() + timedelta(minutes=10), failed_sign_ins=3)
    link = _request_reset(client, outbox, user)
    page = client.get(link)
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    saved = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 303 and saved.headers["Location"] == "/sign-in"
    db.session.refresh(user)
    assert user.locked_until is None and user.failed_sign_ins == 0
    assert "The password of your portal account has changed" in _mail_subjects(outbox, user.email)
    assert db.session.scalar(select(AuditEvent).filter_by(action="password-reset",
                                                          actor_id=user.id)) is not None
    # the old password no longer works, the new one does
    old = post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    assert old.status_code == 422
    login_as(client, user, password=NEW_PASSWORD)


def test_a_weak_or_mistyped_password_is_refused_and_the_link_still_works(client, clinic, outbox):
    user = make_user()
    link = _request_reset(client, outbox, user)
    weak = post_form(client, link, {"password": "abcdabcd12", "confirm": "abcdabcd12"})
    assert weak.status_code == 422
    assert "too easy to guess" in weak.get_data(as_text=True)
    mistyped = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mistyped.status_code == 422
    assert "The two passwords are not the same." in mistyped.get_data(as_text=True)
    assert client.get(link).status_code == 200


def test_a_reset_link_works_once(client, clinic, outbox):
    user = make_user()
    link = _request_reset(client, outbox, user)
    post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(link)
    page = again.get_data(as_text=True)
    assert again.status_code == 410
    assert "This link does not work" in page and 'href="/forgot-password"' in page
    # a POST with the used link changes nothing either
    other = "another quiet otter paints red boats"
    refused = post_form(client, link, {"password": other, "confirm": other},
                        page="/forgot-password")
    assert refused.status_code == 410


def test_a_reset_link_expires_after_thirty_minutes(client, clinic, outbox, monkeypatch):
    user = make_user()
    link = _request_reset(client, outbox, user)
    made_at = TimestampSigner.get_timestamp(None)

    def later(minutes):
        monkeypatch.setattr(TimestampSigner, "get_timestamp",
                            lambda self: made_at + minutes * 60)

    later(29)
    assert client.get(link).status_code == 200
    later(31)
    expired = client.get(link)
    assert expired.status_code == 410
    assert "Ask for a new link" in expired.get_data(as_text=True)


def test_a_forged_link_does_not_work(client, clinic):
    assert client.get("/reset-password/not-a-real-token").status_code == 410


def test_a_reset_ends_every_session_of_the_account(app, db, clinic, outbox):
    user = make_user()
    phone, laptop, helper = app.test_client(), app.test_client(), app.test_client()
    login_as(phone, user)
    login_as(laptop, user)
    link = _request_reset(helper, outbox, user)
    post_form(helper, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    records = db.session.scalars(select(UserSession).filter_by(user_id=user.id)).all()
    assert len(records) == 2
    assert all(r.ended_at is not None and r.ended_reason == "password-reset" for r in records)
    assert phone.get("/account/").status_code == 303  # sent to sign in


def test_a_reset_while_signed_in_signs_this_browser_out_too(client, db, clinic, outbox):
    user = make_user()
    login_as(client, user)
    link = _request_reset(client, outbox, user)
    post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get("/account/").status_code == 303


# --- The second factor on the reset page ---------------------------------------------


def test_an_account_with_an_authenticator_must_give_a_code_first(app, client, db, clinic,
                                                                 outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    link = _request_reset(client, outbox, user)
    step = client.get(link)
    assert step.status_code == 200
    assert "Enter your code" in step.get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in step.get_data(as_text=True)
    # the password cannot be sent before the code
    skipped = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "code": ""})
    assert skipped.status_code == 422
    wrong = post_form(client, link, {"code": "000000" if totp_now(user) != "000000"
                                     else "111111"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    code = totp_now(user)
    passed = post_form(client, link, {"code": code})
    assert passed.status_code == 303 and passed.headers["Location"] == link
    # another browser with the same link still has to give a code, and not this one again
    other = app.test_client()
    assert "Enter your code" in other.get(link).get_data(as_text=True)
    replay = post_form(other, link, {"code": code})
    assert replay.status_code == 422
    assert "already been used" in replay.get_data(as_text=True)
    # this browser goes on to the password
    assert "Choose a new password" in client.get(link).get_data(as_text=True)
    saved = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 303
    db.session.refresh(user)
    login_as(client, user, password=NEW_PASSWORD)


def test_an_account_with_email_codes_gets_one_code_when_the_link_is_opened(client, db, clinic,
                                                                           outbox):
    user = make_user(second_factor="email")
    link = _request_reset(client, outbox, user)
    client.get(link)
    client.get(link)
    assert _mail_subjects(outbox, user.email).count("Your sign-in code") == 1
    new = post_form(client, link, {"action": "new-code"})
    assert new.status_code == 303
    assert _mail_subjects(outbox, user.email).count("Your sign-in code") == 2
    code = re.search(r"\b(\d{6})\b", outbox.last_body(user.email)).group(1)
    assert post_form(client, link, {"code": code}).status_code == 303
    saved = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 303


def test_a_recovery_code_can_stand_in_for_a_lost_authenticator(client, db, clinic, outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    codes = two_factor.new_recovery_codes(user)
    db.session.commit()
    link = _request_reset(client, outbox, user)
    with_code = f"{link}?use=recovery-code"
    page = client.get(with_code).get_data(as_text=True)
    assert "recovery codes" in page
    assert post_form(client, with_code, {"code": "AAAAA-AAAAA"}).status_code == 422
    assert post_form(client, with_code, {"code": codes[0]}).status_code == 303
    assert "Choose a new password" in client.get(link).get_data(as_text=True)
    assert two_factor.remaining_recovery_codes(user) == 9


def test_too_many_wrong_codes_stop_the_reset(client, db, clinic, outbox):
    user = make_user(second_factor="totp", totp_secret=TOTP_SECRET)
    link = _request_reset(client, outbox, user)
    right = pyotp.TOTP(TOTP_SECRET).now()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(10):
        assert post_form(client, link, {"code": wrong}).status_code == 422
    refused = post_form(client, link, {"code": totp_now(user)})
    assert refused.status_code == 422
    assert "Too many wrong codes" in refused.get_data(as_text=True)


# --- Forgot username, verification again -----------------------------------------------


def test_forgot_username_mails_the_username_to_the_registered_address(client, clinic, outbox):
    user = make_user(email="Anna.Smit@Mail.example")
    known_post, known = _ask_and_follow(client, "/forgot-username",
                                        {"email": "anna.smit@mail.example"})
    unknown_post, unknown = _ask_and_follow(client, "/forgot-username",
                                            {"email": "nobody@mail.example"})
    assert known_post.headers["Location"] == unknown_post.headers["Location"]
    assert known.status_code == unknown.status_code == 200
    assert _main(known) == _main(unknown)
    [mail] = outbox.messages()
    assert mail["To"] == user.email and user.username in mail.get_content()


def test_forgot_username_asks_for_an_address(client, clinic):
    response = post_form(client, "/forgot-username", {"email": "not an address"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_the_verification_mail_can_be_sent_again_from_the_sign_in_page(client, clinic, outbox):
    waiting = make_user(email_verified_at=None)
    verified = make_user(email_verified_at=utcnow())
    sign_in = client.get("/sign-in").get_data(as_text=True)
    for path in ("/forgot-password", "/forgot-username", "/verify-email/again"):
        assert f'href="{path}"' in sign_in
    pages = [_ask_and_follow(client, "/verify-email/again", {"identifier": name})
             for name in (waiting.username, verified.username, "nobody")]
    assert len({post.headers["Location"] for post, _ in pages}) == 1
    assert {page.status_code for _, page in pages} == {200}
    assert len({_main(page) for _, page in pages}) == 1
    assert [m["To"] for m in outbox.messages()] == [waiting.email]
    link = LINK.search(outbox.last_body(waiting.email)).group(0)
    opened = client.get(link[link.index("/verify-email/"):])
    assert opened.status_code == 200 and "E-mail address confirmed" in opened.get_data(as_text=True)


# --- Protection ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/forgot-password", "/forgot-username", "/verify-email/again",
                                  "/reset-password/any"])
def test_posts_without_a_csrf_token_are_refused(client, clinic, outbox, path):
    response = client.post(path, data={"identifier": "x", "email": "x@y.example",
                                       "code": "123456"})
    assert response.status_code == 400
    assert outbox.messages() == []


def test_requests_for_links_are_rate_limited(app, client, clinic, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    statuses = [post_form(client, "/forgot-password", {"identifier": "nobody"}).status_code
                for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
