"""The e-mail that says a new statement is waiting: no amounts, no care named."""

from __future__ import annotations

from portal.extensions import db
from portal.family.services import mail_recipients
from portal.mail import portal_url, send_mail
from portal.models import Patient


def new_statement(patient: Patient) -> int:
    """Tell the patient's account and those acting for them with the billing permission,
    each if they want billing e-mails, that a statement is posted.

    The mails go to the outbox and are committed with whatever the caller has pending
    (the statement itself, when it was posted with `commit=False`).
    """
    sent = 0
    for user, relationship in mail_recipients(patient, "billing", "billing"):
        send_mail(user.email, "billing_new_statement",
                  user.locale or patient.preferred_locale, user=user,
                  link=portal_url("billing.overview"),
                  acting_for=patient.given_name if relationship else None)
        sent += 1
    db.session.commit()
    return sent
