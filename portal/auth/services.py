"""The rules of signing in and out: password check, lockout, second-factor hand-off, sessions.

Signing in takes one or two steps. The password step (`check_password`) finds the
account and checks the password; if a second factor is on, the browser holds a
"pending" marker until `finish_sign_in` runs after the code step. Only then does the
user get a session. Steps that must come first (a new password after a temporary one,
enrolling a second factor) are enforced for every request by `required_step`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import func, or_, select

from portal import audit
from portal.auth import reauth, sessions, unknown_identifiers
from portal.clinic import current_clinic
from portal.extensions import db
from portal.forms import carry_stash
from portal.mail import send_mail
from portal.models import Patient, User
from portal.security import hash_password, password_needs_rehash, verify_password
from portal.types import utcnow

PENDING_KEY = "pending_sign_in"
#: How long the code step may take after the password step.
PENDING_SECONDS = 600


@dataclass
class PasswordCheck:
    """The result of the password step."""

    user: User | None = None
    locked_until: datetime | None = None
    #: The right temporary password, given too long ago (PORTAL_TEMPORARY_PASSWORD_DAYS).
    expired: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None and self.locked_until is None and not self.expired


def find_user(identifier: str) -> User | None:
    """The one account behind a username, an e-mail address or a patient ID, or None.

    Usernames never look like a patient ID or an e-mail address (auth.usernames), but one
    chosen before that rule, or a patient ID given later, could still equal another
    account's: then the identifier names no one, rather than whichever row came first, so
    that nobody can sign in as (or lock out) another person by that name.
    """
    value = identifier.strip()
    if not value:
        return None
    lowered = value.lower()
    found = db.session.scalars(
        select(User)
        .outerjoin(Patient, User.patient_id == Patient.id)
        .where(or_(func.lower(User.username) == lowered,
                   func.lower(User.email) == lowered,
                   func.upper(Patient.patient_number) == value.upper()))
        .limit(2)
    ).unique().all()
    return found[0] if len(found) == 1 else None


def temporary_password_expired(user: User, now: datetime | None = None) -> bool:
    """Whether `user` still has a temporary password, given more than the setting's days ago.

    Said only after the right password was typed, so it tells a stranger nothing.
    """
    if not user.password_is_temporary:
        return False
    given = user.password_changed_at or user.created_at
    days = current_app.config["TEMPORARY_PASSWORD_DAYS"]
    return given is None or (now or utcnow()) - given > timedelta(days=days)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def check_password(identifier: str, password: str) -> PasswordCheck:
    """The password step. Unknown user, wrong password and disabled account look alike.

    A locked account is reported whatever the password, so the answer never confirms a
    guess; every path costs one password hash, so timing tells nothing either.
    """
    user = find_user(identifier)
    matches = verify_password(user.password_hash if user else None, password)
    now = utcnow()
    if user is not None and is_locked(user, now):
        audit.record(audit.Action.SIGN_IN, patient=user.patient_id, outcome="locked", actor=user,
                     target=None, commit=True)
        return PasswordCheck(user=user, locked_until=user.locked_until)
    if user is None or not matches or not user.enabled:
        if user is not None:
            locked = count_failure(user, now)
            if locked:
                return PasswordCheck(user=user, locked_until=user.locked_until)
        else:
            until = unknown_identifiers.count_failure(identifier)
            if until is not None:
                audit.record(audit.Action.SIGN_IN, outcome="locked", target=None, commit=True)
                return PasswordCheck(locked_until=until)
        audit.record(audit.Action.SIGN_IN, patient=user.patient_id if user else None,
                     outcome="failure", actor=user, target=None, commit=True)
        return PasswordCheck()
    if temporary_password_expired(user, now):
        audit.record(audit.Action.SIGN_IN, patient=user.patient_id, outcome="expired",
                     actor=user, target=None, commit=True)
        return PasswordCheck(user=user, expired=True)
    # The count of failures is not reset here: wrong codes at the second step count on
    # top of it, and only a finished sign-in (finish_sign_in) starts it again from zero.
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    return PasswordCheck(user=user)


def count_failure(user: User, now: datetime | None = None) -> bool:
    """Count a wrong password or second-step code; at the threshold lock the account and
    tell its owner. True when this failure locked it."""
    now = now or utcnow()
    config = current_app.config
    # Counted in the database itself, so that wrong passwords sent to several workers at
    # once all count (a value read, increased and written back would lose some).
    user.failed_sign_ins = func.coalesce(User.failed_sign_ins, 0) + 1
    db.session.flush()
    if user.failed_sign_ins < config["LOCKOUT_THRESHOLD"]:
        db.session.commit()
        return False
    user.failed_sign_ins = 0
    user.locked_until = now + timedelta(minutes=config["LOCKOUT_MINUTES"])
    audit.record(audit.Action.SIGN_IN,
                 patient=user.patient_id, outcome="failure", actor=user, target=None)
    audit.record(audit.Action.LOCKOUT, patient=user.patient_id, actor=user, target=None)
    if user.email:
        send_mail(user.email, "account_locked", user.locale, user=user,
                  until=user.locked_until)
    db.session.commit()
    return True


def unlock(user: User, by: User) -> None:
    """Staff lift a lockout."""
    user.locked_until = None
    user.failed_sign_ins = 0
    audit.record(audit.Action.UNLOCK, patient=user.patient_id, actor=by, target=f"user:{user.id}")
    db.session.commit()


def begin_second_factor(user: User, next_url: str | None) -> None:
    """Remember, in this browser only, that `user` passed the password step."""
    _reset_browser_session()
    session[PENDING_KEY] = {"user": user.id, "at": int(time.time()), "next": next_url}


def pending_user() -> User | None:
    """The user who passed the password step in this browser within the time allowed."""
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["user"])
    # A locked account is returned: the code step answers with the locked page.
    return user if user is not None and user.enabled else None


def pending_next() -> str | None:
    return (session.get(PENDING_KEY) or {}).get("next")


def needs_second_factor_step(user: User) -> bool:
    return user.second_factor in ("totp", "email")


def finish_sign_in(user: User, method: str = "password") -> None:
    """Give `user` a fresh session (new id, nothing carried over but language) and record it."""
    _reset_browser_session()
    login_user(user)
    sessions.open_session(user)
    # The password was typed moments ago: sign-in settings may be changed for a few
    # minutes without typing it again (see reauth).
    reauth.mark_reauthenticated()
    user.last_sign_in_at = utcnow()
    user.failed_sign_ins = 0
    audit.record(audit.Action.SIGN_IN,
                 patient=user.patient_id, actor=user, target=f"method:{method}")
    db.session.commit()


def _reset_browser_session() -> None:
    kept = {key: session[key] for key in ("lang",) if key in session}
    carry_stash(kept)
    session.clear()
    session.update(kept)


def end_session(user: User) -> None:
    """Sign out: end the server-side session and forget everything the browser held."""
    sessions.end_session(sessions.current_sid(), "sign-out")
    audit.record(audit.Action.SIGN_OUT, patient=user.patient_id, actor=user, target=None)
    db.session.commit()
    logout_user()
    session.clear()


def required_step(user: User) -> str | None:
    """What `user` must do before anything else: "password", "two_factor", or None."""
    if user.password_is_temporary:
        return "password"
    if user.second_factor is None and (user.is_staff or current_clinic().patient_2fa_required):
        return "two_factor"
    return None


def set_password(user: User, password: str, *, keep_sid: str | None = None,
                 reason: str = "password-changed") -> None:
    """Store a new password and end every other session of the account."""
    user.password_hash = hash_password(password)
    user.password_is_temporary = False
    user.password_changed_at = utcnow()
    user.failed_sign_ins = 0
    user.locked_until = None
    sessions.end_other_sessions(user, reason, keep=keep_sid)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    cleaned = target.strip()
    if any(ch in cleaned for ch in "\\\t\r\n") or any(ord(ch) < 32 for ch in cleaned):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned
