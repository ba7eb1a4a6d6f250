"""Changing the e-mail address: the new one takes over only once its link is opened."""

import re

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import PASSWORD, csrf_token, login_as, make_user, post_form

LINK = re.compile(r"https?://\S+")
NEW = "anna.new@mail.example"


def _verify_path(body: str) -> str:
    [link] = [m for m in LINK.findall(body) if "/verify-email/" in m]
    return link[link.index("/verify-email/"):]


def _ask(client, email=NEW, password=PASSWORD):
    return post_form(client, "/account/email", {"email": email, "password": password})


@pytest.fixture
def user(db, clinic):
    return make_user(email="anna.old@mail.example", email_verified_at=utcnow())


def test_the_page_asks_for_the_new_address_and_the_current_password(client, user):
    login_as(client, user)
    response = client.get("/account/email")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Change your e-mail address</h1>" in page
    assert 'method="post" action="/account/email"' in page
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*name="email"', page)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*name="password"', page)


def test_changing_the_address_end_to_end(client, db, user, outbox):
    login_as(client, user)
    response = _ask(client)
    assert response.status_code == 303 and response.headers["Location"] == "/account/email"
    db.session.refresh(user)
    # the old address stays in use until the new one is confirmed
    assert user.email == "anna.old@mail.example" and user.pending_email == NEW
    assert db.session.scalar(select(AuditEvent).filter_by(
        action="email-change-requested", outcome="success", actor_id=user.id)) is not None
    [notice] = outbox.to("anna.old@mail.example")
    assert notice["Subject"] == "A new e-mail address was given for your portal account"
    [confirm] = outbox.to(NEW)
    assert confirm["Subject"] == "Confirm your e-mail address"
    page = client.get("/account/email").get_data(as_text=True)
    assert NEW in page and "Send the link again" in page
    # opening the link switches the address and tells the old one
    opened = client.get(_verify_path(confirm.get_content()))
    assert opened.status_code == 200
    db.session.refresh(user)
    assert user.email == NEW and user.pending_email is None
    assert user.email_verified_at is not None
    subjects = [m["Subject"] for m in outbox.to("anna.old@mail.example")]
    assert "The e-mail address of your portal account has changed" in subjects


def test_a_wrong_password_changes_nothing(client, db, user, outbox):
    login_as(client, user)
    response = _ask(client, password="not my password")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="password-error"' in page and 'href="#password"' in page
    assert "The password is not right." in page
    db.session.refresh(user)
    assert user.pending_email is None
    assert outbox.messages() == []
    assert db.session.scalar(select(AuditEvent).filter_by(
        action="email-change-requested", outcome="failure")) is not None


@pytest.mark.parametrize("whose", ["email", "pending_email"])
def test_an_address_another_account_uses_cannot_be_used(client, db, user, outbox, whose):
    make_user(**{whose: "taken@mail.example"})
    login_as(client, user)
    response = _ask(client, email="Taken@Mail.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This address cannot be used" in page and 'id="email-error"' in page
    db.session.refresh(user)
    assert user.pending_email is None and outbox.messages() == []


@pytest.mark.parametrize("typed,message", [
    ("anna.old@mail.example", "This is already the e-mail address of your account."),
    ("not an address", "Enter an e-mail address like name@example.com."),
    ("", "Enter your new e-mail address."),
])
def test_unusable_input_is_explained_next_to_the_field(client, user, outbox, typed, message):
    login_as(client, user)
    response = _ask(client, email=typed)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox.messages() == []


def test_a_newer_request_makes_the_older_link_stop_working(client, db, user, outbox):
    login_as(client, user)
    _ask(client, email="first@mail.example")
    first = _verify_path(outbox.last_body("first@mail.example"))
    _ask(client, email="second@mail.example")
    assert client.get(first).status_code == 400
    db.session.refresh(user)
    assert user.email == "anna.old@mail.example" and user.pending_email == "second@mail.example"


def test_the_confirmation_link_can_be_sent_again_from_the_account(client, db, user, outbox):
    login_as(client, user)
    _ask(client)
    outbox.clear()
    token = csrf_token(client, "/account/email")
    response = client.post("/account/email/verify-again", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/account/email"
    assert [m["Subject"] for m in outbox.to(NEW)] == ["Confirm your e-mail address"]
    assert "We have sent a new link to" in client.get("/account/email").get_data(as_text=True)


def test_nothing_is_sent_again_when_nothing_waits(client, user, outbox):
    login_as(client, user)
    token = csrf_token(client, "/account/email")
    client.post("/account/email/verify-again", data={"csrf_token": token})
    assert outbox.messages() == []
    page = client.get("/account/email").get_data(as_text=True)
    assert "There is no e-mail address waiting to be confirmed." in page


@pytest.mark.parametrize("target,expected", [
    ("/account/", "/account/"),
    ("https://evil.example/account", "/account/email"),
    ("//evil.example/", "/account/email"),
    ("/\\evil.example", "/account/email"),
])
def test_sending_again_returns_only_to_pages_of_this_site(client, user, target, expected):
    login_as(client, user)
    token = csrf_token(client, "/account/email")
    response = client.post("/account/email/verify-again",
                           data={"csrf_token": token, "next": target})
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("path", ["/account/email", "/account/email/verify-again"])
def test_posts_without_a_csrf_token_are_refused(client, db, user, outbox, path):
    login_as(client, user)
    response = client.post(path, data={"email": NEW, "password": PASSWORD})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.pending_email is None and outbox.messages() == []


def test_the_pages_need_a_signed_in_user(client, clinic):
    response = client.get("/account/email")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in?next=")
