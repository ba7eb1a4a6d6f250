"""Lockout after repeated failures, and sessions kept on the server."""

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import UserSession
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import PASSWORD, csrf_token, login_as, make_user, post_form


def _try(client, user, password="wrong password!"):
    return post_form(client, "/sign-in", {"identifier": user.username, "password": password})


def test_five_failures_lock_the_account_for_fifteen_minutes(client, db, clinic, outbox):
    user = make_user()
    for _ in range(4):
        assert _try(client, user).status_code == 422
    locked = _try(client, user)
    page = locked.get_data(as_text=True)
    assert locked.status_code == 423
    assert "locked" in page and clinic.phone in page
    db.session.refresh(user)
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    # the right password does not help while locked, and the page says so again
    assert _try(client, user, PASSWORD).status_code == 423
    mail = outbox.last_body(user.email)
    assert "locked" in mail and clinic.phone in mail
    assert db.session.scalar(select(AuditEvent).filter_by(action="lockout",
                                                          actor_id=user.id)) is not None


def test_the_lock_ends_by_itself(client, db, clinic):
    user = make_user(locked_until=utcnow() - timedelta(seconds=1))
    assert _try(client, user, PASSWORD).status_code == 303


def test_a_success_resets_the_count_of_failures(client, db, clinic):
    user = make_user()
    for _ in range(4):
        _try(client, user)
    login_as(client, user)
    db.session.refresh(user)
    assert user.failed_sign_ins == 0 and user.locked_until is None


def test_failed_tries_on_one_account_stay_far_below_100_an_hour(client, db, clinic, app):
    """With 5 tries per 15-minute lock, an hour allows at most 4 x 5 = 20 failures."""
    user = make_user()
    accepted = 0
    for _ in range(12):
        if _try(client, user).status_code == 422:
            accepted += 1
    assert accepted == 4  # then locked: every later try is refused without checking


def test_staff_can_unlock(db, clinic):
    from portal.auth.services import unlock

    user = make_user(locked_until=utcnow() + timedelta(minutes=10))
    admin = make_user(role="admin")
    unlock(user, by=admin)
    assert user.locked_until is None
    event = db.session.scalar(select(AuditEvent).filter_by(action="unlock"))
    assert event.actor_id == admin.id and event.patient_id == user.patient_id


def test_sign_in_opens_a_server_session_and_sign_out_ends_it(client, db, clinic):
    user = make_user()
    login_as(client, user)
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    assert record is not None and record.ended_at is None
    with client.session_transaction() as session:
        cookie_sid = session["sid"]
    assert cookie_sid == record.id
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/home")})
    db.session.refresh(record)
    assert record.ended_reason == "sign-out"
    # replaying the old cookie gets nowhere: the session is over on the server
    with client.session_transaction() as session:
        session["sid"] = cookie_sid
        session["_user_id"] = str(user.id)
    assert client.get("/home").headers["Location"].startswith("/sign-in")


def test_idle_sessions_end_and_say_why(client, db, clinic):
    user = make_user()
    login_as(client, user)
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    record.last_seen_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    response = client.get("/account/")
    assert response.headers["Location"].startswith("/sign-in?next=/account/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not used for a while" in page
    db.session.refresh(record)
    assert record.ended_reason == "idle"


def test_sessions_end_after_twelve_hours_however_busy(client, db, clinic):
    user = make_user()
    login_as(client, user)
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    record.created_at = utcnow() - timedelta(hours=12, minutes=1)
    db.session.commit()
    assert client.get("/home").status_code == 303
    db.session.refresh(record)
    assert record.ended_reason == "expired"


def test_what_was_typed_survives_a_timeout(client, db, clinic):
    user = make_user(role="admin")
    login_as(client, user)
    token = csrf_token(client, "/staff/patients")
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    record.last_seen_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    response = client.post("/sign-in/new-password",
                           data={"csrf_token": token, "password": "secret-not-kept",
                                 "note": "kept words"})
    assert response.headers["Location"].startswith("/sign-in")
    with client.session_transaction() as session:
        stash = session["stashed_form"]
    assert stash["path"] == "/sign-in/new-password"
    assert ("note", "kept words") in [tuple(x) for x in stash["data"]]
    assert all(key != "password" for key, _ in stash["data"])


def test_a_disabled_account_loses_its_sessions_at_once(client, db, clinic):
    user = make_user()
    login_as(client, user)
    user.enabled = False
    db.session.commit()
    assert client.get("/home").status_code == 303


def test_temporary_password_allows_nothing_but_choosing_a_new_one(client, db, clinic):
    user = make_user(password_is_temporary=True)
    response = post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/sign-in/new-password"
    assert client.get("/account/").headers["Location"] == "/sign-in/new-password"
    weak = post_form(client, "/sign-in/new-password", {"password": "abcdabcd12",
                                                       "confirm": "abcdabcd12"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    short = post_form(client, "/sign-in/new-password", {"password": "ab1", "confirm": "ab1"})
    assert "at least 8 characters" in short.get_data(as_text=True)
    mismatch = post_form(client, "/sign-in/new-password",
                         {"password": "quiet otter lantern", "confirm": "quiet otter lanterns"})
    assert "not the same" in mismatch.get_data(as_text=True)
    good = post_form(client, "/sign-in/new-password",
                     {"password": "quiet otter lantern", "confirm": "quiet otter lantern"})
    assert good.headers["Location"] == "/home"
    db.session.refresh(user)
    assert not user.password_is_temporary
    assert client.get("/account/").status_code == 200


def test_a_64_character_password_is_allowed(client, db, clinic):
    user = make_user(password_is_temporary=True)
    post_form(client, "/sign-in", {"identifier": user.username, "password": PASSWORD})
    long_one = "a long sentence about otters and lanterns that goes on and on ok"
    assert len(long_one) == 64
    response = post_form(client, "/sign-in/new-password",
                         {"password": long_one, "confirm": long_one})
    assert response.status_code == 303


def test_stay_signed_in_keeps_the_session_going(client, db, clinic):
    user = make_user()
    login_as(client, user)
    page = client.get("/account/").get_data(as_text=True)
    assert 'id="idle-warning"' in page and "hidden" in page  # shown only by the script
    assert 'data-idle-minutes="15"' in page
    record = db.session.scalar(select(UserSession).filter_by(user_id=user.id))
    record.last_seen_at = utcnow() - timedelta(minutes=14)
    db.session.commit()
    response = post_form(client, "/session/alive", {"next": "/account/"}, page="/home")
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    db.session.refresh(record)
    assert utcnow() - record.last_seen_at < timedelta(minutes=1)
    record.last_seen_at = utcnow() - timedelta(minutes=14)
    db.session.commit()
    token = csrf_token(client, "/home")
    htmx = client.post("/session/alive", data={"csrf_token": token},
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 204


def test_visitors_get_no_idle_warning(client, clinic):
    assert b"idle-warning" not in client.get("/").data


def test_a_patients_own_record_comes_with_the_session_check(client, db, clinic):
    """The check of the session loads the patient's own record with the user: the page's
    gate finds it loaded, without a statement of its own, and shows that record."""
    from sqlalchemy import event

    user = make_user()
    login_as(client, user)
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        page = client.get("/home")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert page.status_code == 200
    assert user.patient.patient_number in page.get_data(as_text=True)
    assert statements[0].startswith("SELECT user_sessions.created_at")
    assert "JOIN patients" in statements[0]
    assert not [s for s in statements if s.startswith("SELECT patients.")]
