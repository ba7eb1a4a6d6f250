"""Rules about a user's own account: activity, contact details, language, notifications."""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select

from portal import audit
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import AuditEvent, Patient, User

#: Audit actions a person recognises as activity on their own account.
ACCOUNT_ACTIONS = ("sign-in", "sign-out")

#: The contact fields a patient keeps up to date themselves.
CONTACT_FIELDS = ("phone", "address_line", "postal_code", "city", "country")

#: Notification kind -> the clinic feature it belongs to (no feature, no e-mail to choose).
NOTIFICATION_KINDS = {"messages": "messages", "appointments": "appointments",
                      "results": "records", "corrections": "records", "billing": "billing",
                      "family": "family"}
#: How a person hears of something new of a kind: a mail each time, one daily summary, or not.
MAIL, DAILY, NONE = "mail", "daily", "none"
NOTIFICATION_CHOICES = (MAIL, DAILY, NONE)

#: The e-mail endpoints of routes_email.py; a link to one is shown only once it exists.
EMAIL_ENDPOINTS = ("account.change_email", "account.resend_verification")


def recent_activity(user: User, limit: int = 10) -> list[AuditEvent]:
    """The latest sign-ins and sign-outs on `user`'s account, newest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_id == user.id, AuditEvent.action.in_(ACCOUNT_ACTIONS))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ))


def email_links() -> dict[str, str | None]:
    """The URL of each e-mail endpoint, or None while it does not exist yet."""
    views = current_app.view_functions
    return {name.split(".")[1]: url_for(name) if name in views else None
            for name in EMAIL_ENDPOINTS}


def contact_details(patient: Patient) -> dict[str, str | None]:
    """The patient's contact fields as a form fills them."""
    return {name: getattr(patient, name) for name in CONTACT_FIELDS}


def update_contact_details(patient: Patient, values: dict[str, str | None]) -> list[str]:
    """Store the changed contact fields with one audit line; return the names changed.

    The form has checked every field before this runs, so either all changes land
    together with their audit line, or none does. The audit line names the fields,
    never their values: an address is personal data the trail does not need.
    """
    changed = []
    for name in CONTACT_FIELDS:
        value = values.get(name) or None
        if value != getattr(patient, name):
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        audit.record(audit.Action.CONTACT_DETAILS_CHANGED, patient=patient,
                     target="fields:" + ",".join(changed))
        db.session.commit()
    return changed


def set_language(user: User, code: str) -> None:
    """Store the language for the account's pages and e-mails."""
    if code not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unknown language {code!r}")
    if user.locale != code:
        user.locale = code
        db.session.commit()


def notification_kinds() -> list[str]:
    """The notification kinds of the areas this clinic has switched on."""
    clinic = current_clinic()
    return [kind for kind, feature in NOTIFICATION_KINDS.items() if clinic.feature_on(feature)]


def notification_choices(user: User) -> dict[str, str]:
    """How `user` hears of each kind: "mail", "daily" or "none"; a kind never chosen is
    "mail" (and a choice stored as yes/no, before the daily summary existed, reads so)."""
    stored = user.notifications or {}
    return {kind: _choice(stored.get(kind, MAIL)) for kind in NOTIFICATION_KINDS}


def _choice(value) -> str:
    if value is True:
        return MAIL
    if value is False or value is None:
        return NONE
    return value if value in NOTIFICATION_CHOICES else MAIL


def notifications_on(user: User) -> list[str]:
    """The offered notification kinds `user` hears of, by single mail or daily summary."""
    choices = notification_choices(user)
    return [kind for kind in notification_kinds() if choices[kind] != NONE]


def set_notifications(user: User, choices: dict[str, str]) -> None:
    """Store the choices given; kinds not offered keep what they were."""
    stored = notification_choices(user)
    stored.update({kind: choice for kind, choice in choices.items()
                   if kind in NOTIFICATION_KINDS and choice in NOTIFICATION_CHOICES})
    # A new dict, so SQLAlchemy sees the JSON column change.
    user.notifications = dict(stored)
    db.session.commit()
