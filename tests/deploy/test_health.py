"""`/healthz`: "ok" while the database answers, 503 when not; it never touches a session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal import create_app
from portal.auth.models import UserSession
from portal.extensions import limiter
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import login_as, make_user


def test_healthz_answers_ok_in_plain_text(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_healthz_leaves_a_signed_in_session_and_its_idle_timer_alone(client, db, clinic):
    user = make_user()
    login_as(client, user)
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    quiet_since = utcnow() - timedelta(minutes=5)
    record.last_seen_at = quiet_since
    db.session.commit()
    audit_lines = db.session.scalar(select(func.count()).select_from(AuditEvent))

    for _ in range(3):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers

    db.session.refresh(record)
    assert record.last_seen_at == quiet_since  # not "activity": the idle timer runs on
    assert record.ended_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_lines


def test_healthz_is_not_rate_limited(app, tmp_path):
    limited = create_app({"ENV_NAME": "testing", "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "INSTANCE_DIR": str(tmp_path),
                          "RATELIMIT_APPLICATION": "2 per minute"})
    try:
        client = limited.test_client()
        assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
        assert [client.get("/help/signing-in").status_code for _ in range(3)][-1] == 429
    finally:
        # The limiter is one object for every app made in this process: take the
        # application-wide limit off again, or it would hold for the tests that follow.
        limiter.limit_manager.set_application_limits([])


def test_healthz_says_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app({"ENV_NAME": "testing", "TESTING": True, "INSTANCE_DIR": str(tmp_path),
                         "SQLALCHEMY_DATABASE_URI":
                             f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.db'}"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
