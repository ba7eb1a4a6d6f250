"""The e-mails of billing: a new statement is waiting, the clinic answered about a payment
plan. They say only that something waits: no amounts, no care named, no reason given."""

from __future__ import annotations

from portal.account.notify import tell_patient_side
from portal.extensions import db
from portal.models import Patient

#: The mail (templates/mail/) that tells the patient's side a payment plan was decided.
PLAN_DECIDED = "billing_plan_decided"


def new_statement(patient: Patient) -> int:
    """Tell the patient's account and those acting for them with the billing permission,
    each if they want billing e-mails, that a statement is posted.

    The mails go to the outbox and are committed with whatever the caller has pending
    (the statement itself, when it was posted with `commit=False`).
    """
    sent = tell_patient_side(patient, "billing", "billing_new_statement")
    db.session.commit()
    return sent


def plan_decided(plan) -> int:
    """Tell the patient's side (those with the billing permission) that the clinic answered
    about a payment plan; the mails go out with the caller's commit, with the decision.
    """
    return tell_patient_side(plan.patient, "billing", PLAN_DECIDED)
