"""The minimal password sign-in and sign-out."""

import re

import pytest
from sqlalchemy import select

from portal.auth.services import safe_next
from portal.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token, login_as, make_user, post_form


@pytest.mark.parametrize("identifier", ["username", "email", "patient_number"])
def test_sign_in_with_username_email_or_patient_id(client, clinic, identifier):
    user = make_user(username="anna", email="Anna@Mail.example")
    value = {"username": "ANNA", "email": "anna@mail.example",
             "patient_number": user.patient.patient_number.lower()}[identifier]
    response = post_form(client, "/sign-in", {"identifier": value, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/home"
    assert user.patient.given_name in client.get("/home").get_data(as_text=True)


def test_unknown_user_and_wrong_password_get_the_same_answer(client, db, clinic):
    make_user(username="anna")
    wrong = post_form(client, "/sign-in", {"identifier": "anna", "password": "nope-nope"})
    unknown = post_form(client, "/sign-in", {"identifier": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 422

    def main(response):
        text = response.get_data(as_text=True)
        text = re.sub(r'name="(csrf_token|submission_key)"[^>]*value="[^"]+"', "TOKEN", text)
        return text[text.index("<main"):text.index("</main>")]

    assert main(wrong).replace("anna", "X") == main(unknown).replace("nobody", "X")
    assert "The sign-in details are not right" in main(wrong)
    failures = db.session.scalars(select(AuditEvent).filter_by(action="sign-in",
                                                                outcome="failure")).all()
    assert len(failures) == 2


def test_empty_fields_get_messages_next_to_the_fields(client, clinic):
    response = post_form(client, "/sign-in", {"identifier": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="identifier-error"' in page and 'id="password-error"' in page
    assert 'href="#identifier"' in page  # the error summary links to the field
    assert 'aria-invalid="true"' in page


def test_a_disabled_account_cannot_sign_in(client, clinic):
    user = make_user(enabled=False)
    response = post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    assert response.status_code == 422


def test_sign_in_starts_a_new_session(client, clinic):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login_as(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_out_ends_the_session(client, clinic):
    user = make_user()
    login_as(client, user)
    token = csrf_token(client, "/home")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/home").headers["Location"].startswith("/sign-in")


def test_pages_behind_sign_in_send_visitors_to_the_sign_in_page(client, clinic):
    response = client.get("/account/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_next_takes_the_user_back_to_where_they_were(client, clinic):
    user = make_user()
    response = post_form(client, "/sign-in?next=/account/",
                         {"identifier": user.username, "password": PASSWORD}, page="/sign-in")
    assert response.headers["Location"] == "/account/"


@pytest.mark.parametrize("target", [
    "//evil.example", "\\\\evil.example", "/\\evil.example", "\t//evil.example",
    "https://evil.example/", "http:/evil.example", "javascript:alert(1)", "evil.example",
    "/%0d%0aSet-Cookie:x", " //evil.example",
])
def test_next_never_leaves_the_site(client, clinic, target):
    assert safe_next(target) in (None, "/%0d%0aSet-Cookie:x")
    user = make_user()
    response = post_form(client, "/sign-in?next=" + target,
                         {"identifier": user.username, "password": PASSWORD}, page="/sign-in")
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location


def test_htmx_sign_in_redirects_with_hx_location(client, clinic):
    user = make_user()
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"identifier": user.username, "password": PASSWORD},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/home"


def test_too_many_sign_in_attempts_from_one_address_get_the_429_page(app, client, clinic):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    try:
        token = csrf_token(client, "/sign-in")
        statuses = [client.post("/sign-in", data={"csrf_token": token, "identifier": "x",
                                                  "password": "wrong-one"}).status_code
                    for _ in range(4)]
        page = client.post("/sign-in", data={"csrf_token": token, "identifier": "x",
                                             "password": "y"})
    finally:
        app.config["SIGN_IN_RATE_LIMIT"] = "30 per 10 minutes"
    assert statuses == [422, 422, 422, 429]
    assert "Too many attempts" in page.get_data(as_text=True)
    assert clinic.phone in page.get_data(as_text=True)
    assert client.get("/sign-in").status_code == 200  # reading the page is never limited
