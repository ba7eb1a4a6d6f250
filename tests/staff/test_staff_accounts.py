"""Administrators manage staff accounts: list, create with a temporary password, disable, unlock."""

import re
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import UserSession
from portal.models import AuditEvent, User
from portal.types import utcnow
from tests.conftest import count_queries, login_as, make_user, post_form

PASSWORD_SHOWN = re.compile(r'<dt>Temporary password</dt><dd><code class="key">([A-Z0-9-]+)</code>')
NEW_PASSWORD = "copper kettle under moonlight"


def _new_staff(client, **values):
    data = {"username": "j.devries", "display_name": "Joost de Vries",
            "email": "j.devries@clinic.example", "role": "clinician", **values}
    return post_form(client, "/staff/accounts", data)


def test_the_list_shows_staff_and_not_patients(client, admin):
    colleague = make_user(role="billing", display_name="Thomas Reed")
    patient = make_user()
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert "Thomas Reed" in page and "Billing" in page
    assert patient.username not in page
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    assert f'action="/staff/accounts/{colleague.id}/disable"' in page
    assert f'action="/staff/accounts/{admin.id}/disable"' not in page  # not yourself


def test_only_admins_see_the_menu_entry(client, app, admin):
    assert 'href="/staff/accounts"' in client.get("/staff/patients").get_data(as_text=True)
    other = app.test_client()
    login_as(other, make_user(role="front_desk"))
    assert 'href="/staff/accounts"' not in other.get("/staff/patients").get_data(as_text=True)


def test_creating_a_member_of_staff(client, app, db, admin):
    response = _new_staff(client)
    assert response.status_code == 200
    password = PASSWORD_SHOWN.search(response.get_data(as_text=True)).group(1)
    user = db.session.scalar(select(User).filter_by(username="j.devries"))
    assert user.role == "clinician" and user.password_is_temporary and user.second_factor is None
    assert password not in user.password_hash
    event = db.session.scalar(select(AuditEvent).filter_by(action="staff-account-created"))
    assert event.actor_id == admin.id and event.target == f"user:{user.id}; role:clinician"
    # first sign-in: a new password, then an authenticator, before anything else
    newcomer = app.test_client()
    first = post_form(newcomer, "/sign-in", {"identifier": "j.devries", "password": password})
    assert first.headers["Location"] == "/sign-in/new-password"
    chosen = post_form(newcomer, "/sign-in/new-password",
                       {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.headers["Location"] == "/two-factor/setup"
    assert newcomer.get("/staff/patients").headers["Location"] == "/two-factor/setup"


def test_creating_explains_mistakes(client, db, admin):
    make_user(username="taken", email="taken@clinic.example")
    response = _new_staff(client, username="taken", email="taken@clinic.example", role="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("This username is already taken.", "Another account already uses this "
                    "e-mail address.", "Choose a role."):
        assert message in page
    assert _new_staff(client, role="patient").status_code == 422  # not a staff role
    assert db.session.scalar(select(User).filter_by(display_name="Joost de Vries")) is None


def test_disabling_a_member_of_staff_ends_their_sessions(client, app, db, admin):
    colleague = make_user(role="front_desk")
    theirs = app.test_client()
    login_as(theirs, colleague)
    response = post_form(client, f"/staff/accounts/{colleague.id}/disable", {},
                         page="/staff/accounts")
    assert response.status_code == 303
    db.session.refresh(colleague)
    assert not colleague.enabled
    assert {s.ended_reason for s in db.session.scalars(
        select(UserSession).filter_by(user_id=colleague.id))} == {"disabled"}
    assert theirs.get("/staff/patients").headers["Location"].startswith("/sign-in")
    assert post_form(client, f"/staff/accounts/{colleague.id}/enable", {},
                     page="/staff/accounts").status_code == 303
    db.session.refresh(colleague)
    assert colleague.enabled
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"user:{colleague.id}")).all()
    assert {"account-disabled", "account-enabled"} <= set(actions)


def test_admins_cannot_disable_themselves(client, db, admin):
    response = post_form(client, f"/staff/accounts/{admin.id}/disable", {}, page="/staff/accounts")
    assert response.status_code == 409
    db.session.refresh(admin)
    assert admin.enabled


def test_unlocking_a_member_of_staff(client, db, admin):
    colleague = make_user(role="billing", locked_until=utcnow() + timedelta(minutes=5))
    page = client.get("/staff/accounts").get_data(as_text=True)
    assert f'action="/staff/accounts/{colleague.id}/unlock"' in page
    post_form(client, f"/staff/accounts/{colleague.id}/unlock", {}, page="/staff/accounts")
    db.session.refresh(colleague)
    assert colleague.locked_until is None
    event = db.session.scalar(select(AuditEvent).filter_by(action="unlock"))
    assert event.actor_id == admin.id and event.target == f"user:{colleague.id}"


def test_patient_accounts_are_not_managed_here(client, db, admin):
    patient_user = make_user()
    response = post_form(client, f"/staff/accounts/{patient_user.id}/disable", {},
                         page="/staff/accounts")
    assert response.status_code == 404
    db.session.refresh(patient_user)
    assert patient_user.enabled


def test_the_list_runs_the_same_queries_however_many_staff(client, db, admin, app):
    def queries() -> int:
        with count_queries() as count:
            assert client.get("/staff/accounts").status_code == 200
        return count()

    few = queries()
    for _ in range(app.config["PAGE_SIZE"] + 5):
        make_user(role="front_desk")
    assert queries() == few
