"""The e-mail that tells a patient a form is waiting, with nothing of its content."""

from __future__ import annotations

from portal.extensions import db
from portal.family.services import mail_recipients
from portal.mail import portal_url, send_mail
from portal.models import Patient


def form_requested(patient: Patient) -> int:
    """Tell the patient's account and those acting for them with the appointments
    permission (forms belong to appointments), each if they want appointment e-mails,
    that a form waits.

    The mails go to the outbox and are committed here, right after the form was given.
    """
    sent = 0
    for user, relationship in mail_recipients(patient, "appointments", "appointments"):
        send_mail(user.email, "form_request", user.locale or patient.preferred_locale,
                  user=user, link=portal_url("questionnaires.forms_list"),
                  acting_for=patient.given_name if relationship else None)
        sent += 1
    db.session.commit()
    return sent
