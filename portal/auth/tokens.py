"""Signed, time-limited links (password reset, e-mail verification).

A token carries a fingerprint of the state it was made for (the password hash, the
address to verify), so it stops working once used: changing the password changes the
fingerprint. Nothing needs to be stored to make a link single-use. A reset link also
carries the time the account's latest link was sent, so sending a new one ends the
older ones.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import User


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal:{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    if purpose == "reset":
        # The time the latest link was sent: a newer link makes the older ones stop working.
        sent = user.reset_link_sent_at.isoformat() if user.reset_link_sent_at else ""
        state = f"{user.password_hash}|{sent}"
    elif purpose == "verify":
        state = f"{user.pending_email or user.email}|{user.email_verified_at}"
    else:
        raise ValueError(purpose)
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make_token(user: User, purpose: str) -> str:
    """A token for `purpose` ("reset" or "verify") that names `user`."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose)})


def read_token(token: str, purpose: str, max_age: int) -> User | None:
    """The user a token was made for, or None if it is forged, expired or already used."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.enabled or data.get("f") != _fingerprint(user, purpose):
        return None
    return user
