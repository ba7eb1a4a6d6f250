"""The one authorization gate and the one audit function."""

import pytest
from sqlalchemy import select

from portal.access import Permission, may
from portal.models import AuditEvent, AuditTrailIsAppendOnly
from tests.conftest import login_as, make_patient, make_user


def _events(db, **where):
    stmt = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt))


def test_a_patient_may_see_only_their_own_record(db, clinic):
    me = make_user()
    other = make_patient()
    assert may(me, Permission.VIEW_RECORD, me.patient)
    assert not may(me, Permission.VIEW_RECORD, other)


@pytest.mark.parametrize("role,allowed", [
    ("admin", set(Permission)),
    ("clinician", {Permission.VIEW_RECORD, Permission.MESSAGES, Permission.APPOINTMENTS,
                   Permission.ADD_DOCUMENTS}),
    ("front_desk", {Permission.MESSAGES, Permission.APPOINTMENTS, Permission.MANAGE_ACCOUNT,
                    Permission.ADD_DOCUMENTS}),
    ("billing", {Permission.BILLING, Permission.MESSAGES, Permission.MANAGE_ACCOUNT}),
])
def test_staff_roles_have_exactly_their_permissions(db, clinic, role, allowed):
    staff = make_user(role=role)
    patient = make_patient()
    assert {p for p in Permission if may(staff, p, patient)} == allowed


def test_a_disabled_account_may_do_nothing(db, clinic):
    me = make_user(enabled=False)
    assert not may(me, Permission.VIEW_RECORD, me.patient)


def test_acting_for_another_patient_gives_404_and_an_audit_entry(client, db, clinic):
    me = make_user()
    other = make_patient(given_name="Secret", family_name="Person")
    login_as(client, me)
    with client.session_transaction() as session:
        session["acting_for"] = other.id
    response = client.get("/home")
    assert response.status_code == 404
    assert b"Secret" not in response.data
    denied = _events(db, outcome="denied")
    assert len(denied) == 1
    assert denied[0].actor_id == me.id
    assert denied[0].patient_id == other.id
    assert denied[0].target == "GET /home"


def test_staff_pages_give_patients_404_and_an_audit_entry(client, db, clinic):
    me = make_user()
    login_as(client, me)
    response = client.get("/staff/patients")
    assert response.status_code == 404
    assert _events(db, action="denied:staff", actor_id=me.id)


def test_staff_do_not_get_a_patient_dashboard(client, db, clinic):
    login_as(client, make_user(role="admin"))
    assert client.get("/home").status_code == 404


def test_audit_events_cannot_be_changed_or_deleted(db, clinic):
    from portal import audit

    event = audit.record(audit.Action.SIGN_IN, outcome="success", commit=True)
    event.action = "changed"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "sign-in"


def test_audit_actions_come_from_the_one_list_each_with_a_translated_label(db, clinic, app):
    """An action outside `audit.Action` is refused; every action has a label in every
    language, so the audit views never show a raw action name."""
    from flask_babel import force_locale

    from portal import audit

    with pytest.raises(ValueError):
        audit.record("something-new", commit=True)
    assert set(audit.LABELS) == set(audit.Action)
    with app.test_request_context():
        for lang in ("nl", "pl"):
            with force_locale(lang):
                untranslated = [a for a in audit.Action
                                if a.label == str(audit.LABELS[a]._args[0])]
                assert not untranslated, (lang, untranslated[:5])


def test_audit_records_who_when_and_from_where(client, db, clinic):
    me = make_user()
    login_as(client, me)
    event = _events(db, action="sign-in", outcome="success")[-1]
    assert event.actor_id == me.id
    assert event.patient_id == me.patient_id
    assert event.remote_addr == "127.0.0.1"
    assert event.occurred_at.tzinfo is not None
