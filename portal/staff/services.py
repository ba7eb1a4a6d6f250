"""Rules of the staff console: finding patients and looking after their portal accounts.

The activation code and a temporary password exist in plain text only in what these
functions return: the database keeps a keyed hash of the code and an argon2 hash of the
password, so staff see each once, on the page that follows their action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from portal import audit
from portal.auth import invitations
from portal.auth.activation import MAX_ATTEMPTS, portal_offered
from portal.auth.models import Invitation
from portal.auth.services import is_locked
from portal.auth.usernames import email_taken
from portal.clinic import current_clinic
from portal.extensions import db
from portal.family.rules import clinic_today, may_have_own_account
from portal.mail import portal_url as mail_portal_url
from portal.mail import send_mail
from portal.models import Patient, User
from portal.paging import paginate
from portal.security import hash_password
from portal.staff.services_accounts import NotPossible, new_temporary_password
from portal.types import utcnow

#: Staff roles that look after patients' portal accounts.
ACCOUNT_MANAGERS = ("front_desk", "admin")


def search_patients(query: str = "", page: int = 1, per_page: int | None = None):
    """Patients matching a name, a patient ID or a date of birth (YYYY-MM-DD), paginated."""
    stmt = select(Patient).options(selectinload(Patient.account))
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        conditions = [
            func.lower(Patient.given_name + " " + Patient.family_name).like(like),
            func.lower(Patient.family_name).like(like),
            func.upper(Patient.patient_number) == query.upper(),
        ]
        try:
            conditions.append(Patient.birth_date == date.fromisoformat(query))
        except ValueError:
            pass
        stmt = stmt.where(or_(*conditions))
    stmt = stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
    return paginate(stmt, page, per_page)


@dataclass
class AccountStatus:
    """Where a patient stands with the portal, as the patient page shows it.

    `kind` is "none", "invited", "invitation-worn-out", "active", "locked" or "disabled".
    """

    kind: str
    user: User | None = None
    invitation: Invitation | None = None
    until: date | datetime | None = None


def open_invitation(patient: Patient) -> Invitation | None:
    """The patient's newest invitation that is neither used, cancelled nor expired."""
    return db.session.scalar(
        select(Invitation)
        .where(Invitation.patient_id == patient.id, Invitation.used_at.is_(None),
               Invitation.cancelled_at.is_(None), Invitation.expires_at > utcnow())
        .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(1))


def account_status(patient: Patient) -> AccountStatus:
    """The patient's account status: none, invited until a date, active, locked or disabled."""
    user = patient.account
    if user is not None:
        if not user.enabled:
            return AccountStatus("disabled", user=user)
        if is_locked(user):
            return AccountStatus("locked", user=user, until=user.locked_until)
        return AccountStatus("active", user=user)
    invitation = open_invitation(patient)
    if invitation is None:
        return AccountStatus("none")
    if (invitation.failed_attempts or 0) >= MAX_ATTEMPTS:
        return AccountStatus("invitation-worn-out", invitation=invitation)
    return AccountStatus("invited", invitation=invitation, until=last_valid_day(invitation))


def _clinic_zone() -> ZoneInfo:
    return ZoneInfo(current_clinic().timezone)


def invitation_expiry(days: int) -> datetime:
    """The end of the clinic's day `days` days from today: a letter can name the last day."""
    zone = _clinic_zone()
    last_day = utcnow().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)


def last_valid_day(invitation: Invitation) -> date:
    """The last day, in the clinic's time zone, on which the invitation's code works."""
    return (invitation.expires_at.astimezone(_clinic_zone()) - timedelta(microseconds=1)).date()


def patient_locale(patient: Patient) -> str:
    """The language letters and e-mails to the patient are written in."""
    choice = patient.preferred_locale
    return choice if choice in current_app.config["LANGUAGES"] else current_clinic().default_locale


@dataclass
class InvitationSent:
    """A new invitation with its plain code, which exists nowhere else."""

    invitation: Invitation
    code: str
    emailed_to: str | None
    by_letter: bool

    @property
    def grouped_code(self) -> str:
        return invitations.grouped(self.code)

    @property
    def last_day(self) -> date:
        return last_valid_day(self.invitation)


def why_not_invitable(patient: Patient) -> str | None:
    """Why the clinic cannot invite `patient` to an own account, or None when it can."""
    if not portal_offered(patient):
        return _l("The clinic does not offer the portal to this patient's group of patients, "
                  "so they cannot be invited.")
    if not may_have_own_account(patient, clinic_today(), current_clinic()):
        return _l("Under the clinic's age rules this patient is too young for an own account. "
                  "A parent or guardian can ask for access instead.")
    return None


def renew_temporary_password(patient: Patient, by: User) -> tuple[User, str]:
    """Give the patient's existing account a new temporary password, shown once.

    For a patient who lost their password and has no e-mail address to reset it with.
    The same rules as a first temporary password: it works PORTAL_TEMPORARY_PASSWORD_DAYS
    days and must be changed at the next sign-in; every session of the account ends, and
    a lockout is lifted (staff checked who is asking).
    """
    from portal.auth import sessions

    user = patient.account
    if user is None:
        raise NotPossible(_l("This patient has no account."))
    if not user.enabled:
        raise NotPossible(_l("The account is disabled. Enable it first."))
    password = new_temporary_password()
    user.password_hash = hash_password(password)
    user.password_is_temporary = True
    user.password_changed_at = utcnow()
    user.failed_sign_ins = 0
    user.locked_until = None
    sessions.end_other_sessions(user, "temporary-password")
    audit.record(audit.Action.TEMPORARY_PASSWORD_GIVEN,
                 patient=patient, actor=by, target=f"user:{user.id}")
    db.session.commit()
    return user, password


def _check_may_invite(patient: Patient) -> None:
    if patient.account is not None:
        raise NotPossible(_l("This patient already has an account."))
    reason = why_not_invitable(patient)
    if reason is not None:
        raise NotPossible(reason)


def _cancel_open_invitations(patient: Patient) -> None:
    db.session.execute(update(Invitation)
                       .where(Invitation.patient_id == patient.id, Invitation.used_at.is_(None),
                              Invitation.cancelled_at.is_(None))
                       .values(cancelled_at=utcnow()))


def latest_invitation_id(patient: Patient) -> int | None:
    """The id of the patient's newest invitation in any state: the invite form's version."""
    return db.session.scalar(select(func.max(Invitation.id))
                             .where(Invitation.patient_id == patient.id))


def invite_patient(patient: Patient, by: User, by_email: bool, by_letter: bool,
                   replaces: int | None) -> InvitationSent:
    """Make a new invitation (an open one stops working); e-mail it and/or return it to print.

    `replaces` is the newest invitation the form was made with: a reloaded result page
    posts the form again, and must not silently kill the code just printed.
    """
    _check_may_invite(patient)
    if latest_invitation_id(patient) != replaces:
        raise NotPossible(_l("This invitation was already made, perhaps because the page was "
                             "reloaded. The code shown then still works. To make a new one, "
                             "use the button on this page."))
    if by_email and not patient.email:
        raise NotPossible(_l("This patient has no e-mail address."))
    again = open_invitation(patient) is not None
    _cancel_open_invitations(patient)
    channel = "both" if by_email and by_letter else "email" if by_email else "letter"
    days = current_clinic().invitation_days or 28
    invitation, code = invitations.invite(patient, by, days=days, channel=channel)
    invitation.expires_at = invitation_expiry(days)
    db.session.flush()
    audit.record(audit.Action.INVITATION_RESENT if again else audit.Action.INVITATION_SENT,
                 patient=patient, actor=by,
                 target=f"invitation:{invitation.id}; channel:{channel}")
    sent = InvitationSent(invitation, code, patient.email if by_email else None, by_letter)
    if by_email:
        send_mail(patient.email, "invitation", patient_locale(patient), patient=patient,
                  code=sent.grouped_code, last_day=sent.last_day, portal_url=portal_url())
    db.session.commit()
    return sent


def portal_url() -> str:
    """The portal's public address, as printed in letters and e-mails."""
    return mail_portal_url("help.home").rstrip("/")


def cancel_invitation(patient: Patient, by: User) -> None:
    """Stop the patient's open invitation from working."""
    invitation = open_invitation(patient)
    if invitation is None:
        raise NotPossible(_l("This patient has no open invitation."))
    _cancel_open_invitations(patient)
    audit.record(audit.Action.INVITATION_CANCELLED, patient=patient, actor=by,
                 target=f"invitation:{invitation.id}")
    db.session.commit()


def give_temporary_password(patient: Patient, by: User, username: str) -> tuple[User, str]:
    """Create the patient's account with a temporary password instead of an invitation.

    The first sign-in allows nothing but choosing a new password (see required_step).
    """
    _check_may_invite(patient)
    password = new_temporary_password()
    email = patient.email if patient.email and not email_taken(patient.email) else None
    user = User(username=username.strip(), email=email, role="patient", patient=patient,
                display_name=patient.full_name, locale=patient.preferred_locale,
                password_hash=hash_password(password), password_is_temporary=True,
                password_changed_at=utcnow())
    db.session.add(user)
    _cancel_open_invitations(patient)
    db.session.flush()
    audit.record(audit.Action.TEMPORARY_PASSWORD_GIVEN,
                 patient=patient, actor=by, target=f"user:{user.id}")
    db.session.commit()
    return user, password
