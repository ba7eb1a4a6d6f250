"""E-mails about correction requests: to the clinic when one arrives, to the patient's side
when it is decided. They say only that something waits, never what the item or the
request says. They go to the outbox in the caller's transaction, with the change."""

from __future__ import annotations

from portal.account.notify import tell_patient_side
from portal.clinic import current_clinic
from portal.corrections.models import CorrectionRequest
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
    return tell_patient_side(request.patient, "records", "correction_decided")
