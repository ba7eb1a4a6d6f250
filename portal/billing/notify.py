"""The e-mail that says a new statement is waiting: no amounts, no care named."""

from __future__ import annotations

import smtplib

from flask import current_app

from portal.account.services import notification_choices
from portal.mail import portal_url, send_mail
from portal.models import Patient


def new_statement(patient: Patient) -> int:
    """Tell the patient's account, if it wants billing e-mails, that a statement is posted.

    A mail server that is down is logged; the statement stays posted.
    """
    user = patient.account
    if user is None or not user.enabled or not user.email:
        return 0
    if not notification_choices(user).get("billing", True):
        return 0
    try:
        send_mail(user.email, "billing_new_statement", user.locale or patient.preferred_locale,
                  user=user, link=portal_url("billing.overview"))
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send a statement e-mail to user %s", user.id)
        return 0
    return 1
