"""E-mails that tell the patient's side to look in the portal, with no health content.

They say only that there is something new; what it is stays behind the sign-in. Each
account chooses in its notification settings whether it wants them. They go to the
outbox in the caller's transaction, so a mail server that is down never undoes (or
slows) what was saved.
"""

from __future__ import annotations

from portal.family.services import mail_recipients
from portal.mail import portal_url, send_mail
from portal.models import Patient


def _send(patient: Patient, preference: str, template: str, endpoint: str) -> int:
    """Mail the patient's account and those acting for them with the messages permission."""
    sent = 0
    for user, relationship in mail_recipients(patient, "messages", preference):
        send_mail(user.email, template, user.locale or patient.preferred_locale,
                  user=user, link=portal_url(endpoint),
                  acting_for=patient.given_name if relationship else None)
        sent += 1
    return sent


def new_message(patient: Patient) -> int:
    """Tell the patient's side that a message from the clinic is waiting."""
    return _send(patient, "messages", "new_message", "messages.inbox")


def prescription_decided(patient: Patient) -> int:
    """Tell the patient's side that the clinic decided on a repeat prescription request."""
    return _send(patient, "messages", "prescription_decided", "messages.prescriptions_list")
