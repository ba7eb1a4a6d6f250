"""Activating an account with the code from the clinic's invitation.

Step one checks the code, the date of birth and the last name together. Whatever does
not match (unknown code, wrong date or name, expired, cancelled, used, too many wrong
tries), the answer is the same, so the page never tells a guesser which part was right.
Step two, open only to the browser that passed step one, creates the account.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import session
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.auth.invitations import code_hash
from portal.auth.models import Invitation
from portal.auth.usernames import plain
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.security import hash_password
from portal.types import utcnow

#: Wrong dates of birth or names given with one code before it stops working.
MAX_ATTEMPTS = 5
SESSION_KEY = "activation"
#: How long step two may take after step one.
STEP_SECONDS = 1800


@dataclass
class CodeCheck:
    """The result of step one: which invitation matched, and whether the portal serves them."""

    invitation: Invitation | None = None
    offered: bool = True

    @property
    def ok(self) -> bool:
        return self.invitation is not None and self.offered


def usable(invitation: Invitation | None) -> bool:
    """Open, not worn out by wrong tries, and for a patient who has no account yet."""
    return (invitation is not None and invitation.is_open(utcnow())
            and (invitation.failed_attempts or 0) < MAX_ATTEMPTS
            and invitation.patient.account is None)


def same_name(typed: str, known: str) -> bool:
    """Names compared without case, accents and surrounding or doubled spaces."""
    def simple(name: str) -> str:
        return " ".join(plain(unicodedata.normalize("NFKC", name)).casefold().split())
    return bool(typed.strip()) and simple(typed) == simple(known)


def portal_offered(patient: Patient) -> bool:
    """Whether the clinic offers the portal to this patient's category."""
    categories = current_clinic().patient_categories or []
    return not categories or patient.category in categories


def check_code(code: str, birth_date: date, family_name: str) -> CodeCheck:
    """Step one: the code, date of birth and last name must all belong to one open invitation.

    A wrong date or name counts against the invitation; at MAX_ATTEMPTS it stops working.
    """
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.code_hash == code_hash(code)))
    if not usable(invitation):
        audit.record(audit.Action.ACTIVATION, outcome="failure", target="code", commit=True)
        return CodeCheck()
    patient = invitation.patient
    if patient.birth_date != birth_date or not same_name(family_name, patient.family_name):
        # Counted by the database, so simultaneous tries on several workers all count.
        invitation.failed_attempts = func.coalesce(Invitation.failed_attempts, 0) + 1
        audit.record(audit.Action.ACTIVATION, patient=patient, outcome="failure",
                     target=f"invitation:{invitation.id}")
        db.session.commit()
        return CodeCheck()
    if not portal_offered(patient):
        audit.record(audit.Action.ACTIVATION, patient=patient, outcome="denied",
                     target=f"invitation:{invitation.id}; category", commit=True)
        return CodeCheck(invitation=invitation, offered=False)
    session[SESSION_KEY] = {"invitation": invitation.id, "at": int(time.time())}
    return CodeCheck(invitation=invitation)


def verified_invitation() -> Invitation | None:
    """The invitation this browser passed step one with, if it is recent and still usable."""
    marker = session.get(SESSION_KEY)
    if not marker or time.time() - marker.get("at", 0) > STEP_SECONDS:
        return None
    invitation = db.session.get(Invitation, marker["invitation"])
    return invitation if usable(invitation) else None


def create_account(invitation: Invitation, username: str, email: str | None, password: str,
                   locale: str) -> User | None:
    """Step two: the patient's account, with the invitation marked used, in one commit.

    None when a twin request won the race for the username or the patient's account.
    """
    patient = invitation.patient
    user = User(username=username.strip(), email=(email or "").strip() or None, role="patient",
                patient=patient, display_name=patient.full_name, locale=locale,
                password_hash=hash_password(password), password_changed_at=utcnow())
    db.session.add(user)
    invitation.used_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    audit.record(audit.Action.ACCOUNT_ACTIVATED, patient=patient, actor=user,
                 target=f"invitation:{invitation.id}")
    db.session.commit()
    session.pop(SESSION_KEY, None)
    return user
