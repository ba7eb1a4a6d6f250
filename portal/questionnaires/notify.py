"""The e-mail that tells a patient a form is waiting, with nothing of its content."""

from __future__ import annotations

from portal.account.notify import tell_patient_side
from portal.extensions import db
from portal.models import Patient


def queue_form_requested(patient: Patient) -> int:
    """Queue the e-mails that a form waits, in the caller's transaction (the one that gives
    the form: `services.request_form(..., tell=queue_form_requested)`)."""
    return tell_patient_side(patient, "appointments", "form_request")


def form_requested(patient: Patient) -> int:
    """Tell the patient's account and those acting for them with the appointments
    permission (forms belong to appointments), each if they want appointment e-mails,
    that a form waits.

    The mails go to the outbox and are committed here, right after the form was given.
    """
    sent = tell_patient_side(patient, "appointments", "form_request")
    db.session.commit()
    return sent
