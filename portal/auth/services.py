"""The rules of signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import func, or_, select

from portal import audit
from portal.extensions import db
from portal.models import Patient, User
from portal.security import hash_password, password_needs_rehash, verify_password
from portal.types import utcnow


def find_user(identifier: str) -> User | None:
    """The account behind a username, an e-mail address or a patient ID."""
    value = identifier.strip()
    if not value:
        return None
    lowered = value.lower()
    return db.session.scalar(
        select(User)
        .outerjoin(Patient, User.patient_id == Patient.id)
        .where(or_(func.lower(User.username) == lowered,
                   func.lower(User.email) == lowered,
                   func.upper(Patient.patient_number) == value.upper()))
        .limit(1)
    )


def authenticate(identifier: str, password: str) -> User | None:
    """Return the enabled user whose password matches, or None.

    An unknown user costs one password check too, so that the answer and its timing do
    not tell whether an account exists.
    """
    user = find_user(identifier)
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.enabled:
        audit.record("sign-in", patient=user.patient_id if user else None,
                     outcome="failure", actor=user, target=None, commit=True)
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User) -> None:
    """Sign `user` in with a fresh session (no fixation) and record it."""
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    login_user(user)
    user.last_sign_in_at = utcnow()
    audit.record("sign-in", patient=user.patient_id, actor=user, target=None)
    db.session.commit()


def end_session(user: User) -> None:
    """Sign out and forget everything the session held."""
    audit.record("sign-out", patient=user.patient_id, actor=user, target=None)
    db.session.commit()
    logout_user()
    session.clear()


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
