"""Limits and one-time codes hold when another worker acts at the same moment.

Each test lets "another worker" change the row through its own database connection
between this request's read and its write, which is what two gunicorn workers do when
two requests arrive together. A value read, changed in Python and written back would
lose the other worker's change; the portal's single conditional UPDATEs do not.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from portal.auth import services, two_factor
from portal.auth.models import EmailCode, Invitation, RecoveryCode
from portal.extensions import db as _db
from portal.models import User
from portal.security import hash_password
from portal.types import utcnow
from tests.conftest import make_patient, make_user


def another_worker(statement) -> None:
    """Run `statement` and commit it on a connection of its own."""
    with _db.engine.begin() as conn:
        conn.execute(statement)


def test_wrong_passwords_counted_by_another_worker_are_not_lost(app, db, clinic):
    user = make_user()
    assert user.failed_sign_ins == 0  # this request has read the count
    another_worker(update(User).where(User.id == user.id).values(failed_sign_ins=3))
    with app.test_request_context():
        assert services.count_failure(user, utcnow()) is False
    db.session.expire_all()
    assert _db.session.get(User, user.id).failed_sign_ins == 4


def test_wrong_activation_details_counted_by_another_worker_are_not_lost(app, db, clinic):
    from datetime import date

    from portal.auth import activation
    from portal.auth.invitations import code_hash

    patient = make_patient(birth_date=date(1980, 1, 1))
    invitation = Invitation(patient=patient, code_hash=code_hash("KM4Q7RTXAC"),
                            channel="letter", expires_at=utcnow() + timedelta(days=30))
    _db.session.add(invitation)
    _db.session.commit()
    assert invitation.failed_attempts == 0
    another_worker(update(Invitation).where(Invitation.id == invitation.id)
                   .values(failed_attempts=2))
    with app.test_request_context():
        assert not activation.check_code("KM4Q7RTXAC", date(1999, 9, 9), "Wrong").ok
    db.session.expire_all()
    assert _db.session.get(Invitation, invitation.id).failed_attempts == 3


def _email_code(user: User, attempts: int = 0) -> EmailCode:
    record = EmailCode(user_id=user.id, code_hash=hash_password("123456"), attempts=attempts,
                       expires_at=utcnow() + timedelta(minutes=10))
    _db.session.add(record)
    _db.session.commit()
    return record


def test_the_last_email_code_try_cannot_be_taken_twice(app, db):
    user = make_user()
    record = _email_code(user, attempts=two_factor.EMAIL_CODE_TRIES - 1)
    assert record.attempts == two_factor.EMAIL_CODE_TRIES - 1  # read by this request
    # Meanwhile another worker spent the last try on a wrong guess.
    another_worker(update(EmailCode).where(EmailCode.id == record.id)
                   .values(attempts=two_factor.EMAIL_CODE_TRIES))
    assert two_factor.check_email_code(user, "123456") is False


def test_an_email_code_is_accepted_by_one_worker_only(app, db, monkeypatch):
    user = make_user()
    record = _email_code(user)
    real_verify = two_factor.verify_password

    def twin_wins_first(stored_hash, code):
        another_worker(update(EmailCode).where(EmailCode.id == record.id)
                       .values(used_at=utcnow()))
        return real_verify(stored_hash, code)

    monkeypatch.setattr(two_factor, "verify_password", twin_wins_first)
    assert two_factor.check_email_code(user, "123456") is False


def test_a_recovery_code_is_accepted_by_one_worker_only(app, db, monkeypatch):
    user = make_user()
    stored = RecoveryCode(user_id=user.id, code_hash=hash_password("ACDEFGHJKM"))
    _db.session.add(stored)
    _db.session.commit()
    real_verify = two_factor.verify_password

    def twin_wins_first(stored_hash, code):
        another_worker(update(RecoveryCode).where(RecoveryCode.id == stored.id)
                       .values(used_at=utcnow()))
        return real_verify(stored_hash, code)

    monkeypatch.setattr(two_factor, "verify_password", twin_wins_first)
    with app.test_request_context():
        assert two_factor.use_recovery_code(user, "ACDEF-GHJKM") is False
