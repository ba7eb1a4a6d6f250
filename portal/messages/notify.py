"""E-mails that tell the patient's side to look in the portal, with no health content.

They say only that there is something new; what it is stays behind the sign-in. Each
account chooses in its notification settings whether it wants them. A mail server that
is down is logged and never undoes what was saved.
"""

from __future__ import annotations

import smtplib

from flask import current_app

from portal.account.services import notification_choices
from portal.mail import portal_url, send_mail
from portal.models import Patient, User


def _recipients(patient: Patient, preference: str) -> list[User]:
    """The accounts acting for `patient` that want e-mail about `preference`."""
    account = patient.account
    users = [account] if account is not None else []
    return [u for u in users
            if u.enabled and u.email and notification_choices(u).get(preference, True)]


def _send(patient: Patient, preference: str, template: str, endpoint: str) -> int:
    sent = 0
    for user in _recipients(patient, preference):
        try:
            send_mail(user.email, template, user.locale or patient.preferred_locale,
                      user=user, link=portal_url(endpoint))
            sent += 1
        except (OSError, smtplib.SMTPException):
            current_app.logger.exception("could not send %s to user %s", template, user.id)
    return sent


def new_message(patient: Patient) -> int:
    """Tell the patient's side that a message from the clinic is waiting."""
    return _send(patient, "messages", "new_message", "messages.inbox")


def prescription_decided(patient: Patient) -> int:
    """Tell the patient's side that the clinic decided on a repeat prescription request."""
    return _send(patient, "messages", "prescription_decided", "messages.prescriptions_list")
