"""The e-mail that says a new statement is waiting: no amounts, no care named."""

from __future__ import annotations

from portal.account.notify import tell_patient_side
from portal.extensions import db
from portal.models import Patient


def new_statement(patient: Patient) -> int:
    """Tell the patient's account and those acting for them with the billing permission,
    each if they want billing e-mails, that a statement is posted.

    The mails go to the outbox and are committed with whatever the caller has pending
    (the statement itself, when it was posted with `commit=False`).
    """
    sent = tell_patient_side(patient, "billing", "billing_new_statement")
    db.session.commit()
    return sent
