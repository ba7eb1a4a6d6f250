"""Activation: the code with date of birth and last name, then a username and password."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import demo
from portal.auth import activation
from portal.auth.invitations import code_hash, invite
from portal.auth.models import Invitation, UserSession
from portal.clinic_setup import save_clinic
from portal.extensions import db as _db
from portal.models import AuditEvent, User
from portal.types import utcnow
from tests.conftest import csrf_token, make_patient, make_user, post_form

CODE = demo.INVITATIONS["P-100002"]
BORN = date(1984, 3, 14)
NEW_PASSWORD = "lantern orchard quietly fox"


@pytest.fixture
def invited(clinic):
    """A Polish-speaking patient holding an open invitation with a known code."""
    patient = make_patient(given_name="Zofia", family_name="Wiśniewska", birth_date=BORN,
                           email="zofia@mail.example", preferred_locale="pl")
    invitation = Invitation(patient=patient, code_hash=code_hash(CODE), channel="letter",
                            expires_at=utcnow() + timedelta(days=28))
    _db.session.add(invitation)
    _db.session.commit()
    return invitation


def _details(code=CODE, born=BORN, name="Wiśniewska"):
    return {"code": code, "birth_day": str(born.day), "birth_month": str(born.month),
            "birth_year": str(born.year), "family_name": name}


def _step_one(client, **details):
    return post_form(client, "/activate", _details(**details))


def _step_two(client, username="zofia.w", email="zofia@mail.example", password=NEW_PASSWORD,
              confirm=None):
    return post_form(client, "/activate/account",
                     {"username": username, "email": email, "password": password,
                      "confirm": confirm if confirm is not None else password})


def _error_summary(response) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S)
    assert match, "no error summary"
    return match.group(0)


def test_the_home_page_leads_to_activation(client, clinic):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/activate"' in page


def test_the_form_works_without_javascript_and_with_a_screen_reader(client, clinic):
    page = client.get("/activate").get_data(as_text=True)
    assert '<form method="post" action="/activate"' in page
    assert "<legend>Date of birth</legend>" in page
    for autocomplete in ("bday-day", "bday-month", "bday-year", "family-name"):
        assert f'autocomplete="{autocomplete}"' in page
    assert page.count("<h1>") == 1


def test_activation_end_to_end(client, db, invited, outbox):
    first = _step_one(client, code=" km4q-7rtx-ac ", name="  wisniewska ")
    assert first.status_code == 303 and first.headers["Location"] == "/activate/account"
    form = client.get("/activate/account").get_data(as_text=True)
    assert 'value="zofia@mail.example"' in form and 'autocomplete="new-password"' in form
    done = _step_two(client)
    assert done.status_code == 303 and done.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200  # signed in
    user = db.session.scalar(select(User).filter_by(username="zofia.w"))
    assert user.patient_id == invited.patient_id and user.role == "patient"
    assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
    assert user.locale == "en" and user.email_verified_at is None
    db.session.refresh(invited)
    assert invited.used_at is not None
    assert db.session.scalar(select(UserSession).filter_by(user_id=user.id)) is not None
    assert db.session.scalar(select(AuditEvent).filter_by(action="account-activated",
                                                          actor_id=user.id)) is not None
    assert "/verify-email/" in outbox.last_body("zofia@mail.example")
    # the code is used up: a second activation with it fails
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/home")})
    assert _step_one(client).status_code == 422


def test_the_demo_codes_work(client, db, monkeypatch):
    monkeypatch.setattr(demo, "hash_password", lambda password: "$argon2id$not-used")
    demo.load_demo()
    response = post_form(client, "/activate", _details(code="km4q 7rtx ac",
                                                       born=date(1991, 7, 2), name="CLARKE"))
    assert response.headers["Location"] == "/activate/account"


def test_a_clinic_that_requires_a_second_factor_sends_the_new_patient_to_set_it_up(
        client, db, invited):
    save_clinic(patient_2fa_required=True)
    _step_one(client)
    assert _step_two(client).headers["Location"] == "/two-factor/setup"


def _expire(invitation):
    invitation.expires_at = utcnow() - timedelta(seconds=1)


def _cancel(invitation):
    invitation.cancelled_at = utcnow()


def _use(invitation):
    invitation.used_at = utcnow()


def _wear_out(invitation):
    invitation.failed_attempts = activation.MAX_ATTEMPTS


@pytest.mark.parametrize("details, spoil", [
    ({}, None),  # the right details: the reference answer is a success
    ({"code": "ACDE-FGHJ-KM"}, None),
    ({"born": BORN + timedelta(days=1)}, None),
    ({"name": "Wisniewski"}, None),
    ({}, _expire),
    ({}, _cancel),
    ({}, _use),
    ({}, _wear_out),
], ids=["right", "unknown-code", "wrong-date", "wrong-name", "expired", "cancelled", "used",
        "too-many-tries"])
def test_every_mismatch_gets_the_same_answer(client, db, invited, details, spoil):
    if spoil:
        spoil(invited)
        db.session.commit()
    response = _step_one(client, **details)
    if not details and spoil is None:
        assert response.status_code == 303
        return
    assert response.status_code == 422
    summary = _error_summary(response)
    assert "We could not activate an account with these details." in summary
    assert "call the clinic on +31 20 123 4567" in summary
    reference = _error_summary(_step_one(client, code="XXXX-XXXX-XX"))
    assert summary == reference
    assert client.get("/activate/account").headers["Location"] == "/activate"


def test_the_code_works_until_the_moment_it_expires(client, db, invited, monkeypatch):
    moment = invited.expires_at
    monkeypatch.setattr(activation, "utcnow", lambda: moment - timedelta(microseconds=1))
    assert _step_one(client).status_code == 303
    monkeypatch.setattr(activation, "utcnow", lambda: moment)
    assert _step_one(client).status_code == 422


def test_five_wrong_tries_close_the_invitation(client, db, invited):
    for _ in range(activation.MAX_ATTEMPTS):
        assert _step_one(client, name="Kowalska").status_code == 422
    db.session.refresh(invited)
    assert invited.failed_attempts == activation.MAX_ATTEMPTS
    response = _step_one(client)  # now even the right details fail
    assert response.status_code == 422
    assert "call the clinic" in _error_summary(response)
    failures = db.session.scalars(select(AuditEvent).filter_by(action="activation",
                                                               outcome="failure")).all()
    assert len(failures) == activation.MAX_ATTEMPTS + 1


def test_too_many_attempts_from_one_address_get_the_429_page(app, client, invited):
    app.config["ACTIVATION_RATE_LIMIT"] = "3 per minute"
    try:
        token = csrf_token(client, "/activate")
        statuses = [client.post("/activate", data={"csrf_token": token,
                                                   **_details(code="XXXX-XXXX-XX")}).status_code
                    for _ in range(4)]
    finally:
        app.config["ACTIVATION_RATE_LIMIT"] = "10 per 10 minutes"
    assert statuses == [422, 422, 422, 429]
    assert client.get("/activate").status_code == 200


def test_a_patient_outside_the_clinics_groups_gets_an_explanation(client, db, invited):
    save_clinic(patient_categories=["gp"])
    invited.patient.category = "polyclinic"
    db.session.commit()
    response = _step_one(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "An account is not available for you" in page and "+31 20 123 4567" in page
    db.session.refresh(invited)
    assert invited.used_at is None
    assert client.get("/activate/account").headers["Location"] == "/activate"


def test_every_category_is_served_when_the_clinic_names_none(client, db, invited):
    save_clinic(patient_categories=[])
    invited.patient.category = "polyclinic"
    db.session.commit()
    assert _step_one(client).status_code == 303


@pytest.mark.parametrize("day, month, year, message", [
    ("", "3", "1984", "Enter your date of birth: day, month and year."),
    ("31", "2", "1984", "Enter a real date of birth"),
    ("14", "3", "84", "Enter the year with four digits"),
    ("x", "3", "1984", "Enter a real date of birth"),
])
def test_an_incomplete_date_is_explained_next_to_the_fields(client, invited, day, month, year,
                                                             message):
    response = post_form(client, "/activate", {**_details(), "birth_day": day,
                                               "birth_month": month, "birth_year": year})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in _error_summary(response)
    assert 'class="field-error" id="birth_day-legend-error"' in page


def test_step_two_needs_step_one(client, invited):
    response = client.get("/activate/account")
    assert response.status_code == 303 and response.headers["Location"] == "/activate"


@pytest.mark.parametrize("values, message", [
    ({"username": "zo"}, "Use 3 to 80 characters"),
    ({"username": "zofia w"}, "Use 3 to 80 characters"),
    ({"username": "TAKEN"}, "This username is already taken"),
    ({"email": "not-an-address"}, "Enter an e-mail address like name@example.com."),
    ({"email": "used@mail.example"}, "Another account already uses this e-mail address."),
    ({"password": "password1"}, "leaked from other websites"),
    ({"password": "wiśniewska1984"}, "too easy to guess"),
    ({"confirm": "something else entirely"}, "The two passwords are not the same."),
])
def test_step_two_explains_what_is_wrong_and_makes_nothing(client, db, invited, values, message):
    make_user(username="taken", email="used@mail.example")
    _step_one(client)
    response = _step_two(client, **values)
    assert response.status_code == 422
    assert message in _error_summary(response)
    assert db.session.scalar(select(User).filter_by(patient_id=invited.patient_id)) is None
    db.session.refresh(invited)
    assert invited.used_at is None


def test_the_error_summary_follows_the_order_of_the_page(client, invited):
    _step_one(client)
    summary = _error_summary(_step_two(client, username="", password=""))
    assert summary.index("#username") < summary.index("#password")


def test_the_email_address_is_optional(client, db, invited, outbox):
    _step_one(client)
    assert _step_two(client, email="").status_code == 303
    user = db.session.scalar(select(User).filter_by(username="zofia.w"))
    assert user.email is None and outbox.messages() == []


def test_a_patient_with_an_account_cannot_activate_another(client, db, invited):
    make_user(patient=invited.patient)
    assert _step_one(client).status_code == 422


def test_a_staff_made_invitation_works(client, db, clinic):
    patient = make_patient(family_name="Nowak", birth_date=date(1983, 6, 8))
    _, code = invite(patient, by=None)
    db.session.commit()
    assert _step_one(client, code=code, born=date(1983, 6, 8), name="nowak").status_code == 303
