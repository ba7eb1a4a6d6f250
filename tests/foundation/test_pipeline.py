"""The one way through: every view of a signed-in person goes through `area_view`.

A view that shows or changes a patient's data without the pipeline would skip the gate,
the area switch or the audit line; so every view carries it, except the few named here
with the reason they need none.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import audit
from portal.access import Permission
from portal.models import AuditEvent
from portal.pipeline import area_view
from tests.conftest import login_as, make_user

#: Views outside the pipeline, and why: none of them shows a patient's data.
OUTSIDE_THE_PIPELINE: dict[str, str] = {
    "auth.sign_in": "the way in",
    "auth.second_factor": "sign-in's code step (the person is not signed in yet)",
    "auth.second_factor_resend": "sign-in's code step: another e-mailed code",
    "auth.recovery_sign_in": "sign-in with a recovery code (not signed in yet)",
    "auth.activate": "activating an account from the invitation letter",
    "auth.activate_account": "activation's second step",
    "auth.forgot_password": "asking for a reset link",
    "auth.forgot_username": "asking for one's username",
    "auth.reset_password": "the reset link from the e-mail (a signed token)",
    "auth.verify_email": "the verification link from the e-mail (a signed token)",
    "auth.resend_verification": "asking for a new verification link",
    "billing.webhook": "the payment provider's server calls it",
    "billing.standin_checkout": "development only: the stand-in of the payment provider",
    "billing.standin_finish": "development only: the stand-in of the payment provider",
    "health.healthz": "the health check",
    "help.home": "public page",
    "help.accessibility": "public page",
    "help.faq": "public page",
    "help.privacy": "public page",
    "help.sign_in_help": "public page",
    "help.using": "public page",
    "help.set_language": "the language switch works before signing in",
    "help.web_app_manifest": "the web app manifest: the clinic's name, no one's data",
    "messages.unread": "a number for the menu's badge, polled; it must never count as "
                   "activity nor send a signed-out poll to the sign-in page",
}


@pytest.fixture
def fresh_app(app):
    """A second app on the same database, to which a test may still add probe routes."""
    from portal import create_app

    made = create_app({key: app.config[key] for key in (
        "ENV_NAME", "TESTING", "SQLALCHEMY_DATABASE_URI", "INSTANCE_DIR", "SERVER_NAME",
        "FAST_PASSWORD_HASHING", "SECRET_KEY")})
    made.test_client_class = app.test_client_class
    return made


def test_every_view_goes_through_the_pipeline_or_says_why_not(app):
    outside = {endpoint for endpoint, view in app.view_functions.items()
               if endpoint != "static" and not endpoint.endswith(".static")
               and not hasattr(view, "area_view")}
    assert outside - set(OUTSIDE_THE_PIPELINE) == set(), "views without area_view"
    assert set(OUTSIDE_THE_PIPELINE) - set(app.view_functions) == set(), "stale entries"


def test_a_read_is_audited_once_rendered_and_never_saves_what_the_view_left(fresh_app, clinic):
    """A read writes its line naming the patient; a change the view left unsaved is rolled
    back, not saved by the audit's commit."""
    from portal.extensions import db
    from portal.models import Patient

    @area_view(permission=Permission.VIEW_RECORD, audit=audit.Action.RECORD_VIEWED,
               target="probe")
    def probe(patient):
        patient.given_name = "Changed by a read"
        return "ok"

    fresh_app.add_url_rule("/_probe", "probe", probe)
    user = make_user()
    client = fresh_app.test_client()
    login_as(client, user)
    assert client.get("/_probe").status_code == 200
    line = db.session.scalar(select(AuditEvent).where(AuditEvent.target == "probe"))
    assert (line.action, line.patient_id, line.actor_id) == (
        "record-viewed", user.patient_id, user.id)
    db.session.expire_all()
    assert db.session.get(Patient, user.patient_id).given_name != "Changed by a read"


@pytest.mark.parametrize("side", ["patient", "staff", "both", "anyone"])
def test_the_sides_let_only_their_people_in(fresh_app, clinic, side):
    @area_view(side=side)
    def door():
        return "in"

    fresh_app.add_url_rule("/_door", "door", door)
    outcomes = {}
    for role in ("patient", "clinician"):
        client = fresh_app.test_client()
        login_as(client, make_user(role=role))
        outcomes[role] = client.get("/_door").status_code
    expected = {"patient": {"patient": 200, "clinician": 404},
                "staff": {"patient": 404, "clinician": 200},
                "both": {"patient": 200, "clinician": 404},  # no patient in the URL
                "anyone": {"patient": 200, "clinician": 200}}[side]
    assert outcomes == expected
    assert fresh_app.test_client().get("/_door").status_code in (302, 303, 401)


def test_a_page_listing_several_patients_writes_one_line_each_in_one_statement(fresh_app,
                                                                               clinic):
    from sqlalchemy import event

    from portal.extensions import db
    from portal.pipeline import STAFF, shown
    from tests.conftest import make_patient

    patients = [make_patient() for _ in range(4)]
    ids = [patient.id for patient in patients]

    @area_view(side=STAFF, audit=audit.Action.PATIENT_LISTED, target="probe-list")
    def listing():
        shown(ids)
        return "listed"

    fresh_app.add_url_rule("/_listing", "listing", listing)
    client = fresh_app.test_client()
    login_as(client, make_user(role="clinician"))
    with fresh_app.app_context():
        engine = db.engine
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.get("/_listing").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO AUDIT")]
    assert len(inserts) == 1, statements  # one statement for the four lines
    named = set(db.session.scalars(select(AuditEvent.patient_id)
                                   .where(AuditEvent.target == "probe-list")))
    assert named == set(ids)
