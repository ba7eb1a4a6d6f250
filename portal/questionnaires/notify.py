"""The e-mail that tells a patient a form is waiting, with nothing of its content."""

from __future__ import annotations

import smtplib

from flask import current_app

from portal.account.services import notification_choices
from portal.mail import portal_url, send_mail
from portal.models import Patient


def form_requested(patient: Patient) -> int:
    """Tell the patient's account (if it wants appointment e-mails) that a form waits.

    A mail server that is down is logged; the form stays given.
    """
    account = patient.account
    if account is None or not account.enabled or not account.email \
            or not notification_choices(account).get("appointments", True):
        return 0
    try:
        send_mail(account.email, "form_request", account.locale or patient.preferred_locale,
                  user=account, link=portal_url("questionnaires.forms_list"))
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send form_request to user %s", account.id)
        return 0
    return 1
