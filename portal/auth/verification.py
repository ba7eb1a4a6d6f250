"""Verifying e-mail addresses: a new account's, and a changed one's before it is used."""

from __future__ import annotations

from flask import current_app

from portal import audit
from portal.auth.tokens import make_token, read_token
from portal.extensions import db
from portal.mail import portal_url, send_mail
from portal.models import User
from portal.types import utcnow


def address_to_verify(user: User) -> str | None:
    """The address waiting for verification: a pending new one, else an unverified one."""
    if user.pending_email:
        return user.pending_email
    return user.email if user.email and user.email_verified_at is None else None


def send_verification(user: User) -> bool:
    """E-mail a verification link to the address waiting for it; False if there is none."""
    address = address_to_verify(user)
    if address is None:
        return False
    link = portal_url("auth.verify_email", token=make_token(user, "verify"))
    send_mail(address, "verify_email", user.locale, user=user, link=link,
              hours=current_app.config["VERIFY_LINK_HOURS"])
    audit.record(audit.Action.VERIFICATION_SENT, patient=user.patient_id, actor=user,
                 target=None, commit=True)
    return True


def verify(token: str) -> User | None:
    """Mark the address in a verification link as verified; a pending address takes over.

    The old address is told about the change, so a takeover does not go unnoticed.
    """
    hours = current_app.config["VERIFY_LINK_HOURS"]
    user = read_token(token, "verify", max_age=hours * 3600)
    if user is None:
        return None
    old = user.email
    if user.pending_email:
        user.email = user.pending_email
        user.pending_email = None
    user.email_verified_at = utcnow()
    audit.record(audit.Action.EMAIL_VERIFIED, patient=user.patient_id, actor=user, target=None)
    if old and old != user.email:
        send_mail(old, "email_changed", user.locale, user=user)
    db.session.commit()
    return user
