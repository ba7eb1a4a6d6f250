"""Activation codes: made, shown in groups, and stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app

from portal.auth.models import Invitation
from portal.extensions import db
from portal.models import Patient, User
from portal.types import utcnow

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing a reader can mistake for something else.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 10


def new_code() -> str:
    """A fresh activation code, e.g. 'K7MQ-RT3X-AC'."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """Show a code in groups of four so it is easy to read out and type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(code: str) -> str:
    """What the patient typed, without spaces, dashes or case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise(code).encode(), hashlib.sha256).hexdigest()


def invite(patient: Patient, by: User | None, days: int = 28,
           channel: str = "letter") -> tuple[Invitation, str]:
    """Create an invitation for `patient`; returns it with the plain code (shown once)."""
    code = new_code()
    invitation = Invitation(patient=patient, code_hash=code_hash(code), channel=channel,
                            created_by_id=by.id if by else None,
                            expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    return invitation, code
