"""Staff look after a patient's account: temporary password, unlock, second factor, disable."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.auth.models import RecoveryCode, UserSession
from portal.models import AuditEvent, User
from portal.security import hash_password
from portal.types import utcnow
from tests.conftest import login_as, make_patient, make_user, post_form

PASSWORD_SHOWN = re.compile(r'<dt>Temporary password</dt><dd><code class="key">([A-Z0-9-]+)</code>')


def _page(patient):
    return f"/staff/patients/{patient.id}"


def _post(client, patient, action, data=None):
    return post_form(client, f"{_page(patient)}/{action}", data or {}, page=_page(patient))


def _audit(db, action):
    return db.session.scalar(select(AuditEvent).filter_by(action=action))


def test_a_temporary_password_makes_the_account_and_forces_a_new_password(client, app, db,
                                                                         front_desk):
    patient = make_patient(given_name="Łucja", family_name="Wójcik", preferred_locale="pl")
    page = client.get(_page(patient)).get_data(as_text=True)
    assert 'value="lucja.wojcik"' in page  # the suggested username
    response = _post(client, patient, "temporary-password", {"username": "lucja.w"})
    shown = response.get_data(as_text=True)
    assert response.status_code == 200
    password = PASSWORD_SHOWN.search(shown).group(1)
    user = db.session.scalar(select(User).filter_by(username="lucja.w"))
    assert user.patient_id == patient.id and user.password_is_temporary
    assert password not in user.password_hash and user.locale == "pl"
    event = _audit(db, "temporary-password-given")
    assert event.patient_id == patient.id and event.actor_id == front_desk.id
    assert password not in (event.target or "")
    # the patient's first sign-in allows nothing but choosing a new password
    patient_client = app.test_client()
    first = post_form(patient_client, "/sign-in", {"identifier": "lucja.w", "password": password})
    assert first.headers["Location"] == "/sign-in/new-password"
    assert patient_client.get("/home").headers["Location"] == "/sign-in/new-password"
    assert "Active." in client.get(_page(patient)).get_data(as_text=True)


def test_a_taken_username_is_refused(client, db, front_desk):
    make_user(username="taken.name")
    patient = make_patient()
    response = _post(client, patient, "temporary-password", {"username": "Taken.Name"})
    assert response.status_code == 422
    assert "This username is already taken." in response.get_data(as_text=True)
    assert patient.account is None


def test_a_temporary_password_cancels_an_open_invitation(client, db, front_desk):
    from portal.auth.models import Invitation
    patient = make_patient()
    from portal.auth.invitations import invite
    invite(patient, by=None)
    db.session.commit()
    _post(client, patient, "temporary-password", {"username": "someone"})
    invitation = db.session.scalar(select(Invitation).filter_by(patient_id=patient.id))
    assert invitation.cancelled_at is not None


def test_unlock(client, db, front_desk):
    user = make_user(locked_until=utcnow() + timedelta(minutes=10), failed_sign_ins=3)
    page = client.get(_page(user.patient)).get_data(as_text=True)
    assert "locked after wrong passwords until" in page
    response = _post(client, user.patient, "unlock")
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.locked_until is None and user.failed_sign_ins == 0
    event = _audit(db, "unlock")
    assert event.patient_id == user.patient_id and event.actor_id == front_desk.id


def _with_second_factor(db):
    user = make_user(second_factor="totp", totp_secret="JBSWY3DPEHPK3PXP", totp_last_step=123)
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password("x"))
                       for _ in range(2))
    db.session.commit()
    return user


def test_resetting_the_second_factor_needs_the_identity_check(client, db, front_desk, outbox):
    user = _with_second_factor(db)
    response = _post(client, user.patient, "second-factor/reset", {"reason": "lost phone"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Check the person's identity first" in page and 'id="error-summary"' in page
    db.session.refresh(user)
    assert user.second_factor == "totp" and _audit(db, "second-factor-reset") is None


def test_resetting_the_second_factor_needs_a_reason(client, db, front_desk):
    user = _with_second_factor(db)
    response = _post(client, user.patient, "second-factor/reset", {"identity_checked": "y"})
    assert response.status_code == 422
    assert "Give the reason for the reset." in response.get_data(as_text=True)


def test_resetting_the_second_factor(client, db, front_desk, outbox):
    user = _with_second_factor(db)
    response = _post(client, user.patient, "second-factor/reset",
                     {"identity_checked": "y", "reason": "lost phone, passport seen"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.second_factor, user.totp_secret, user.totp_last_step) == (None, None, None)
    assert db.session.scalar(select(func.count(RecoveryCode.id))
                             .filter_by(user_id=user.id)) == 0
    event = _audit(db, "second-factor-reset")
    assert event.patient_id == user.patient_id and event.actor_id == front_desk.id
    assert "lost phone, passport seen" in event.target
    assert "removed the second sign-in step" in outbox.last_body(user.email)


def test_disabling_ends_every_session_at_once(client, app, db, front_desk):
    user = make_user()
    patient_client = app.test_client()
    login_as(patient_client, user)
    assert patient_client.get("/home").status_code == 200
    response = _post(client, user.patient, "disable")
    assert response.status_code == 303
    db.session.refresh(user)
    assert not user.enabled
    sessions = db.session.scalars(select(UserSession).filter_by(user_id=user.id)).all()
    assert sessions and all(s.ended_reason == "disabled" for s in sessions)
    assert patient_client.get("/home").headers["Location"].startswith("/sign-in")
    assert "Disabled: the patient cannot sign in." in client.get(_page(user.patient)).get_data(
        as_text=True)
    assert _audit(db, "account-disabled").patient_id == user.patient_id
    # and enabling lets them in again
    assert _post(client, user.patient, "enable").status_code == 303
    db.session.refresh(user)
    assert user.enabled and _audit(db, "account-enabled") is not None
    login_as(patient_client, user)


def test_actions_on_a_patient_without_an_account_are_refused(client, db, front_desk):
    patient = make_patient()
    for action in ("unlock", "disable", "enable", "invitation/cancel"):
        response = _post(client, patient, action)
        assert response.status_code == 409, action
        assert 'id="error-summary"' in response.get_data(as_text=True)


def test_an_unknown_patient_is_not_found_and_the_attempt_audited(client, db, front_desk):
    response = client.get("/staff/patients/999999")
    assert response.status_code == 404
    event = _audit(db, "denied:account")
    assert event.actor_id == front_desk.id and event.outcome == "denied"


def test_admins_may_look_after_patients_accounts_too(client, db, admin):
    patient = make_patient()
    assert client.get(_page(patient)).status_code == 200
