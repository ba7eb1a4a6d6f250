"""E-mails that tell the patient's side to look in the portal, with no health content.

They say only that there is something new; what it is stays behind the sign-in. Each
account chooses in its notification settings whether it wants them. They go to the
outbox in the caller's transaction, so a mail server that is down never undoes (or
slows) what was saved.
"""

from __future__ import annotations

from portal.account.notify import tell_patient_side
from portal.models import Patient


def new_message(patient: Patient) -> int:
    """Tell the patient's side that a message from the clinic is waiting."""
    return tell_patient_side(patient, "messages", "new_message")


def prescription_decided(patient: Patient) -> int:
    """Tell the patient's side that the clinic decided on a repeat prescription request."""
    return tell_patient_side(patient, "messages", "prescription_decided")
