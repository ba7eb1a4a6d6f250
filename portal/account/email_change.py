"""Changing one's e-mail address: the new one takes over only once its link is opened.

Until then the old address stays in use and is told that a change was asked for, so
someone who borrowed a signed-in session cannot quietly move the account to their own
mailbox.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from portal import audit
from portal.auth import reauth
from portal.auth.verification import send_verification
from portal.extensions import db
from portal.mail import send_mail
from portal.models import User

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
    if not reauth.confirm_password(user, password, audit.Action.EMAIL_CHANGE_REQUESTED):
        return WRONG_PASSWORD
    if user.email and address.lower() == user.email.lower():
        return UNCHANGED
    if address_taken(address, user):
        return TAKEN
    user.pending_email = address
    audit.record(audit.Action.EMAIL_CHANGE_REQUESTED, patient=user.patient_id, target=None)
    if user.email:
        send_mail(user.email, "email_change_requested", user.locale, user=user)
    send_verification(user)  # commits the change, the audit lines and both mails together
    return REQUESTED

