"""Getting back in: a forgotten password or username, a verification link sent again.

Every request for help gets the same answer whatever was typed, so these pages cannot be
used to find out who has an account. The work is the same too: the e-mail is rendered
even when there is nobody to send it to, so the time taken tells little either.

A reset link is single-use without storing anything (see `tokens`). When the account has
a second factor, the link alone is not enough: whoever opens it must also give a code,
so a stolen mailbox does not give away the account.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import current_app, session
from flask_login import logout_user
from sqlalchemy import func, select

from portal import audit
from portal.auth import sessions, two_factor
from portal.auth.services import PENDING_KEY, count_failure, find_user, is_locked, set_password
from portal.auth.tokens import make_token, read_token
from portal.auth.verification import address_to_verify, send_verification
from portal.clinic import current_clinic
from portal.extensions import db
from portal.mail import portal_url, render_mail, send_mail
from portal.models import AuditEvent, User
from portal.types import utcnow

#: Session key: this browser gave the second factor for one reset link (its digest).
PASSED_KEY = "reset_second_factor"
#: Session key: an e-mail code has been sent for one reset link.
CODE_SENT_KEY = "reset_code_sent"
#: How long a passed second factor counts before the new password must be saved.
PASSED_SECONDS = 600
#: Wrong codes allowed on reset pages for one account while a link can be valid.
MAX_CODE_FAILURES = 10
#: The audit target that marks a failed code on a reset page.
RESET_TARGET = "password-reset"


def _stand_in() -> User:
    """An unsaved user to render mails for when nobody matches (never stored, never sent)."""
    return User(id=0, username="-", display_name="-", password_hash="-", email=None)


def _render_for_nobody(template: str, **context) -> None:
    """Render a mail as if it were sent, and drop it: the same work as a real one."""
    render_mail(template, None, clinic=current_clinic(), user=_stand_in(), **context)


def reset_link_minutes() -> int:
    """How long a reset link works (PORTAL_RESET_LINK_MINUTES)."""
    return current_app.config["RESET_LINK_MINUTES"]


def request_password_reset(identifier: str) -> None:
    """E-mail a reset link to the account behind `identifier`, if it has an address.

    A new link makes every older one of the account stop working. Known and unknown
    names take the same steps (a link made, a mail rendered, one audit line committed);
    the mail only goes into the outbox, so no mail server is waited for either way.
    """
    user = find_user(identifier)
    usable = user is not None and user.enabled and bool(user.email)
    if usable:
        user.reset_link_sent_at = utcnow()
    token = make_token(user if usable else _stand_in(), "reset")
    link = portal_url("auth.reset_password", token=token)
    if not usable:
        _render_for_nobody("reset_password", link=link, minutes=reset_link_minutes())
        audit.record(audit.Action.PASSWORD_RESET_REQUESTED, outcome="unknown", target=None,
                     commit=True)
        return
    send_mail(user.email, "reset_password", user.locale, user=user, link=link,
              minutes=reset_link_minutes())
    audit.record(audit.Action.PASSWORD_RESET_REQUESTED, patient=user.patient_id,
                 target=f"user:{user.id}", commit=True)


def send_username_reminder(address: str) -> None:
    """E-mail the username to the account registered with `address`, if there is one."""
    lowered = address.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == lowered).limit(1))
    link = portal_url("auth.sign_in")
    if user is None or not user.enabled:
        _render_for_nobody("username_reminder", link=link)
        return
    send_mail(user.email, "username_reminder", user.locale, user=user, link=link)
    audit.record(audit.Action.USERNAME_REMINDER_SENT,
                 patient=user.patient_id, target=f"user:{user.id}",
                 commit=True)


def resend_verification(identifier: str) -> None:
    """Send the verification link again to the account behind `identifier`, if it waits for one."""
    user = find_user(identifier)
    if user is not None and user.enabled and address_to_verify(user):
        send_verification(user)
        return
    link = portal_url("auth.verify_email", token=make_token(_stand_in(), "verify"))
    _render_for_nobody("verify_email", link=link, hours=current_app.config["VERIFY_LINK_HOURS"])


def reset_link_user(token: str) -> User | None:
    """The account a reset link is for, or None if it is forged, expired or already used."""
    return read_token(token, "reset", max_age=reset_link_minutes() * 60)


def _digest(token: str) -> str:
    """A short fingerprint of a link, so the browser session never holds the link itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def second_factor_due(user: User, token: str) -> bool:
    """Whether this browser must still give `user`'s second factor for this link."""
    if user.second_factor not in ("totp", "email"):
        return False
    passed = session.get(PASSED_KEY) or {}
    return not (passed.get("t") == _digest(token)
                and time.time() - passed.get("at", 0) <= PASSED_SECONDS)


def send_code_once(user: User, token: str) -> None:
    """E-mail a code the first time this browser shows the code step for this link."""
    if session.get(CODE_SENT_KEY) != _digest(token):
        send_new_code(user, token)


def send_new_code(user: User, token: str) -> None:
    """E-mail a fresh code for the code step of this link."""
    two_factor.send_email_code(user)
    session[CODE_SENT_KEY] = _digest(token)


def may_try_code(user: User) -> bool:
    """False after too many wrong codes on reset pages while a link could still be open.

    Counted on the server, per account, so neither new cookies nor new addresses help
    someone guessing codes with a stolen link. Wrong codes also count towards the
    account's lockout, like wrong codes at sign-in; a locked account tries no codes.
    """
    if is_locked(user):
        return False
    since = utcnow() - timedelta(minutes=reset_link_minutes())
    failures = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.actor_id == user.id, AuditEvent.action == "second-factor",
            AuditEvent.outcome == "failure", AuditEvent.target == RESET_TARGET,
            AuditEvent.occurred_at > since))
    return failures < MAX_CODE_FAILURES


def check_second_factor(user: User, token: str, code: str, recovery_code: bool = False) -> bool:
    """Check the code for a reset link; on success this browser may choose the password.

    Raises `two_factor.CodeAlreadyUsed` for an authenticator code that was used before.
    """
    if recovery_code:
        ok = two_factor.use_recovery_code(user, code)
    elif user.second_factor == "email":
        ok = two_factor.check_email_code(user, code)
    else:
        ok = two_factor.check_totp(user, code)
    if not ok:
        audit.record(audit.Action.SECOND_FACTOR,
                     patient=user.patient_id, actor=user, outcome="failure",
                     target=RESET_TARGET, commit=True)
        count_failure(user)
        return False
    session[PASSED_KEY] = {"t": _digest(token), "at": int(time.time())}
    return True


def reset_password(user: User, password: str) -> None:
    """Save the new password, end every session of the account and tell its owner.

    This browser is signed out as well: the person signs in again with the new password.
    """
    set_password(user, password, keep_sid=None, reason="password-reset")
    audit.record(audit.Action.PASSWORD_RESET, patient=user.patient_id, actor=user, target=None)
    if user.email:
        send_mail(user.email, "password_changed", user.locale, user=user, when=utcnow())
    db.session.commit()
    logout_user()
    for key in (sessions.SID_KEY, PENDING_KEY, PASSED_KEY, CODE_SENT_KEY):
        session.pop(key, None)
