"""E-mails about correction requests: to the clinic when one arrives, to the patient's side
when it is decided. They say only that something waits, never what the item or the
request says. They go to the outbox in the caller's transaction, with the change."""

from __future__ import annotations

from portal.clinic import current_clinic
from portal.corrections.models import CorrectionRequest
from portal.family.services import mail_recipients
from portal.mail import portal_url, send_mail


def requested(request: CorrectionRequest) -> bool:
    """Tell the clinic's address that a correction request waits; whether there is one."""
    clinic = current_clinic()
    if not clinic.email:
        return False
    send_mail(clinic.email, "correction_requested", clinic.default_locale,
              link=portal_url("corrections.staff_request", correction_id=request.id),
              due_on=request.due_on)
    return True


def decided(request: CorrectionRequest) -> int:
    """Tell the patient's side (those who may read the record) that the clinic answered."""
    patient = request.patient
    sent = 0
    for user, relationship in mail_recipients(patient, "records", "corrections"):
        send_mail(user.email, "correction_decided", user.locale or patient.preferred_locale,
                  user=user, link=portal_url("corrections.index"),
                  acting_for=patient.given_name if relationship else None)
        sent += 1
    return sent
