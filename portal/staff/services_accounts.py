"""Rules about accounts as such, for patients and staff alike, and staff administration.

Temporary passwords, disabling and enabling, resetting a second factor; listing and
creating staff accounts.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal import audit
from portal.auth import invitations, sessions
from portal.auth.models import EmailCode, RecoveryCode
from portal.extensions import db
from portal.mail import send_mail
from portal.models import STAFF_ROLES, User
from portal.paging import paginate
from portal.security import hash_password
from portal.types import utcnow

#: Letters of a temporary password: the code alphabet, so nothing can be misread.
TEMPORARY_PASSWORD_LENGTH = 12


class NotPossible(Exception):
    """An account action that the patient's situation does not allow; str() says why."""


def new_temporary_password() -> str:
    """A random password that is easy to read out, e.g. 'K7MQ-RT3X-AC9P'."""
    return invitations.grouped("".join(secrets.choice(invitations.CODE_ALPHABET)
                                       for _ in range(TEMPORARY_PASSWORD_LENGTH)))


def reset_second_factor(user: User, by: User, reason: str) -> None:
    """Remove the account's second factor and recovery codes after staff checked identity.

    The owner is told by e-mail, so a reset they did not ask for does not go unnoticed.
    """
    user.second_factor = None
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(EmailCode).where(EmailCode.user_id == user.id))
    audit.record(audit.Action.SECOND_FACTOR_RESET, patient=user.patient_id, actor=by,
                 target=f"user:{user.id}; identity checked; reason: {reason.strip()[:200]}")
    if user.email:
        send_mail(user.email, "second_factor_reset", user.locale, user=user)
    db.session.commit()


def set_account_enabled(user: User, by: User, enabled: bool) -> None:
    """Disable an account (ending all its sessions at once) or enable it again."""
    if user.id == by.id:
        raise NotPossible(_l("You cannot disable or enable your own account."))
    user.enabled = enabled
    if not enabled:
        sessions.end_other_sessions(user, "disabled")
    audit.record(audit.Action.ACCOUNT_ENABLED if enabled else audit.Action.ACCOUNT_DISABLED,
                 patient=user.patient_id,
                 actor=by, target=f"user:{user.id}")
    db.session.commit()




def list_staff(page: int = 1, per_page: int | None = None):
    """Staff accounts by name, paginated: two queries however many there are."""
    stmt = (select(User).where(User.role.in_(STAFF_ROLES))
            .order_by(User.display_name, User.username, User.id))
    return paginate(stmt, page, per_page)


def staff_member(user_id: int) -> User | None:
    """The staff account with this id; None for a patient's account or no account."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_staff else None


def create_staff(username: str, display_name: str, email: str, role: str,
                 by: User) -> tuple[User, str]:
    """A new staff account with a temporary password, returned once in plain text.

    At first sign-in the new member must choose a password and enrol an authenticator
    (required_step), so the temporary password alone never gets anyone further.
    """
    if role not in STAFF_ROLES:
        raise ValueError(f"not a staff role: {role}")
    password = new_temporary_password()
    user = User(username=username.strip(), display_name=display_name.strip(),
                email=email.strip(), role=role, password_hash=hash_password(password),
                password_is_temporary=True, password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record(audit.Action.STAFF_ACCOUNT_CREATED,
                 actor=by, target=f"user:{user.id}; role:{role}")
    db.session.commit()
    return user, password
