"""Rules of the security settings: password, second factor, recovery codes, sessions.

Every change here asks for the password again (see `portal.auth.reauth`): on the page
itself, or, for a page without a password field (signing out other devices, the
authenticator), typed within the last few minutes. Every change and every refused
attempt goes into the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from portal import audit
from portal.account.devices import describe_device
from portal.auth import reauth, sessions, two_factor
from portal.auth import services as auth_services
from portal.auth.models import RecoveryCode
from portal.clinic import current_clinic
from portal.extensions import db
from portal.mail import send_mail
from portal.models import User
from portal.types import utcnow

SECOND_FACTOR_NAMES = {
    "totp": _l("Authenticator app"),
    "email": _l("Codes by e-mail"),
    None: _l("Off"),
}


def second_factor_name(method: str | None) -> str:
    """The second factor `method` in the reader's words."""
    return str(SECOND_FACTOR_NAMES.get(method, method))


def password_matches(user: User, password: str, action: audit.Action) -> bool:
    """Whether `password` is the user's current one (the one re-authentication check:
    a right one also lets the other sign-in settings be changed for a few minutes)."""
    return reauth.confirm_password(user, password, action)


def change_password(user: User, password: str, keep_sid: str | None) -> None:
    """Store a new password, end every other session, audit, and tell the owner by e-mail."""
    auth_services.set_password(user, password, keep_sid=keep_sid)
    audit.record(audit.Action.PASSWORD_CHANGED, patient=user.patient_id, target=None)
    if user.email:
        send_mail(user.email, "password_changed_settings", user.locale, user=user)
    db.session.commit()


def email_codes_allowed(user: User) -> bool:
    """Whether `user` may get second-factor codes by e-mail (the setup page's rule)."""
    return (not user.is_staff and current_clinic().email_codes_allowed
            and bool(user.email))


def second_factor_required(user: User) -> bool:
    """Whether `user` must keep a second factor: all staff, and patients if the clinic says so."""
    return user.is_staff or current_clinic().patient_2fa_required


def turn_off_second_factor(user: User) -> None:
    """Switch the second factor off and retire the recovery codes that went with it."""
    if second_factor_required(user):
        raise PermissionError("this account must keep a second factor")
    user.second_factor = None
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                  RecoveryCode.used_at.is_(None))
                       .values(used_at=utcnow()))
    audit.record(audit.Action.SECOND_FACTOR_DISABLED, patient=user.patient_id, target=None)
    db.session.commit()


def make_recovery_codes(user: User) -> list[str]:
    """Replace the recovery codes (audited by two_factor); the plain codes are shown once."""
    codes = two_factor.new_recovery_codes(user)
    db.session.commit()
    return codes


@dataclass
class SessionRow:
    """One line of the "where you are signed in" table."""

    device: str
    address: str | None
    started: datetime
    last_seen: datetime
    current: bool


def session_rows(user: User, current_sid: str | None) -> list[SessionRow]:
    """The user's live sessions, most recently used first, this one marked."""
    return [SessionRow(device=describe_device(record.user_agent), address=record.remote_addr,
                       started=record.created_at, last_seen=record.last_seen_at,
                       current=record.id == current_sid)
            for record in sessions.live_sessions(user)]


def end_other_sessions(user: User, current_sid: str | None) -> int:
    """Sign out every other device of `user`; returns how many sessions ended."""
    ended = sessions.end_other_sessions(user, "ended-by-user", keep=current_sid)
    audit.record(audit.Action.SESSIONS_ENDED, patient=user.patient_id, target=f"sessions:{ended}")
    db.session.commit()
    return ended
