"""Changing one's e-mail address: the new one takes over only once its link is opened.

Until then the old address stays in use and is told that a change was asked for, so
someone who borrowed a signed-in session cannot quietly move the account to their own
mailbox.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from portal import audit
from portal.auth.verification import send_verification
from portal.extensions import db
from portal.mail import send_mail
from portal.models import User
from portal.security import verify_password

#: Outcomes of `request_change`.
REQUESTED = "requested"
WRONG_PASSWORD = "wrong-password"
UNCHANGED = "unchanged"
TAKEN = "taken"


def address_taken(address: str, user: User) -> bool:
    """Whether another account uses `address`, or waits to confirm it."""
    lowered = address.lower()
    return db.session.scalar(
        select(User.id).where(User.id != user.id,
                              or_(func.lower(User.email) == lowered,
                                  func.lower(User.pending_email) == lowered)).limit(1)
    ) is not None


def request_change(user: User, new_address: str, password: str) -> str:
    """Check the password, keep `new_address` as pending and send both e-mails.

    Returns REQUESTED, or why not: WRONG_PASSWORD, UNCHANGED (already the address in use)
    or TAKEN (another account has it).
    """
    address = new_address.strip()
    if not verify_password(user.password_hash, password):
        audit.record("email-change-requested", patient=user.patient_id, outcome="failure",
                     target=None, commit=True)
        return WRONG_PASSWORD
    if user.email and address.lower() == user.email.lower():
        return UNCHANGED
    if address_taken(address, user):
        return TAKEN
    user.pending_email = address
    audit.record("email-change-requested", patient=user.patient_id, target=None)
    db.session.commit()
    send_verification(user)
    if user.email:
        send_mail(user.email, "email_change_requested", user.locale, user=user)
    return REQUESTED

