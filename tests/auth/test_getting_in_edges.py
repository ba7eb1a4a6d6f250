"""Getting in, the edges found: one identifier is one account, temporary passwords are
temporary, staff can give a new one, a background poll never ends a session, and the
sign-in page leads to activation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import UserSession
from portal.auth.usernames import username_problem
from portal.extensions import db
from portal.models import User
from portal.types import utcnow
from tests.conftest import PASSWORD, csrf_token, login_as, make_patient, make_user, post_form


@pytest.mark.parametrize("username", ["P-100001", "p-100001", "F000001", "AB123456",
                                      "T.000042"])
def test_a_username_may_not_look_like_a_patient_id(app, clinic, username):
    with app.test_request_context("/"):
        assert "patient ID" in (username_problem(username) or "")
        assert username_problem("oliver.bennett") is None


def test_a_username_may_not_be_another_patients_id_whatever_its_shape(app, clinic):
    make_patient(patient_number="JANSEN")
    with app.test_request_context("/"):
        assert "patient ID" in (username_problem("jansen") or "")


def test_staff_cannot_give_a_username_that_is_a_patient_id(client, clinic):
    other = make_patient(patient_number="P-100001")
    patient = make_patient()
    login_as(client, make_user(role="front_desk"))
    response = post_form(client, f"/staff/patients/{patient.id}/temporary-password",
                         {"username": other.patient_number},
                         page=f"/staff/patients/{patient.id}")
    assert response.status_code == 422
    assert "may not look like a patient ID" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.patient_id == patient.id)) is None


def test_an_identifier_that_names_two_accounts_signs_in_neither(client, clinic):
    victim = make_user(patient=make_patient(patient_number="P-200001"))
    # A username from before the rule, equal to the victim's patient ID.
    squatter = make_user(username="P-200001")
    response = post_form(client, "/sign-in", {"identifier": "P-200001", "password": PASSWORD})
    assert response.status_code == 422
    for _ in range(8):  # nobody gets locked out by the other's name
        post_form(client, "/sign-in", {"identifier": "P-200001", "password": "wrong"})
    db.session.expire_all()
    assert victim.locked_until is None and squatter.locked_until is None
    login_as(client, victim)  # by username, the victim still gets in


def _temporary_user(days_ago: float = 0) -> User:
    return make_user(password_is_temporary=True,
                     password_changed_at=utcnow() - timedelta(days=days_ago))


def test_the_temporary_password_cannot_be_kept(client, clinic):
    temporary = "KQ7M-XW4P-TR9D-HV3N"  # what new_temporary_password gives: strong enough
    user = make_user(password=temporary, password_is_temporary=True,
                     password_changed_at=utcnow())
    post_form(client, "/sign-in", {"identifier": user.username, "password": temporary})
    response = post_form(client, "/sign-in/new-password",
                         {"password": temporary, "confirm": temporary})
    assert response.status_code == 422
    assert "This is the temporary password" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_is_temporary


def test_a_temporary_password_expires_after_the_setting_days(client, clinic, app):
    assert app.config["TEMPORARY_PASSWORD_DAYS"] == 7
    fresh = _temporary_user(days_ago=6.9)
    assert post_form(client, "/sign-in", {"identifier": fresh.username,
                                          "password": PASSWORD}).status_code == 303
    old = _temporary_user(days_ago=7.1)
    response = app.test_client()
    answer = post_form(response, "/sign-in", {"identifier": old.username, "password": PASSWORD})
    assert answer.status_code == 422
    assert "temporary password has expired" in answer.get_data(as_text=True)
    wrong = post_form(app.test_client(), "/sign-in",
                      {"identifier": old.username, "password": "not it"})
    assert "expired" not in wrong.get_data(as_text=True)  # told only with the right one


def test_staff_give_an_existing_account_a_new_temporary_password(client, clinic, app):
    patient = make_patient(email=None)
    user = make_user(patient=patient, email=None)
    patient_client = app.test_client()
    login_as(patient_client, user)
    login_as(client, make_user(role="front_desk"))
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert f'action="/staff/patients/{patient.id}/temporary-password/new"' in page
    response = post_form(client, f"/staff/patients/{patient.id}/temporary-password/new", {},
                         page=f"/staff/patients/{patient.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    password = re.search(r"Temporary password</dt><dd><code class=\"key\">([^<]+)<",
                         body).group(1)
    assert "It works for 7 days." in body
    db.session.refresh(user)
    assert user.password_is_temporary
    assert patient_client.get("/home").status_code == 303  # signed out everywhere
    fresh = app.test_client()
    answer = post_form(fresh, "/sign-in", {"identifier": user.username, "password": password})
    assert answer.headers["Location"] == "/sign-in/new-password"
    help_page = client.get("/help/signing-in").get_data(as_text=True)
    assert "new temporary password" in help_page


def test_a_background_poll_never_ends_the_session_so_typed_text_is_kept(client, clinic):
    user = make_user()
    login_as(client, user)
    token = csrf_token(client, "/home")
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    record.last_seen_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert client.get("/messages/unread", headers={"HX-Request": "true"}).status_code == 200
    db.session.refresh(record)
    assert utcnow() - record.last_seen_at > timedelta(minutes=9)  # a poll is not use
    record.last_seen_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    poll = client.get("/messages/unread", headers={"HX-Request": "true"})
    assert poll.status_code == 204
    db.session.refresh(record)
    assert record.ended_at is None  # left for the person's own next request to end
    typed = client.post("/session/alive", data={"csrf_token": token, "next": "/home"})
    assert typed.headers["Location"].startswith("/sign-in")
    page = client.get(typed.headers["Location"]).get_data(as_text=True)
    assert "not used for a while" in page and "What you typed has been kept" in page
    db.session.refresh(record)
    assert record.ended_reason == "idle"


def test_the_sign_in_page_links_to_activation(client, clinic):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/activate"' in page
