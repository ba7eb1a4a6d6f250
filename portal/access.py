"""The single authorization gate.

It answers one question for every request: which patient is this request acting for,
and may the signed-in user do this to that patient? Views never check ownership by
hand: they go through `pipeline.area_view`, which asks `patient_for(...)`, and look
rows up with `find_or_refuse(...)`.
"""

from __future__ import annotations

from enum import StrEnum

from flask import abort, has_request_context, session
from flask_login import current_user
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import STAFF_ROLES, Patient, User


class Permission(StrEnum):
    """What a user may do to a patient's record."""

    VIEW_RECORD = "records"
    MESSAGES = "messages"
    APPOINTMENTS = "appointments"
    BILLING = "billing"
    MANAGE_ACCOUNT = "account"
    #: Add letters and scans to the record (reading them needs VIEW_RECORD).
    ADD_DOCUMENTS = "documents"


#: What each staff role may do to any patient of the clinic.
STAFF_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "clinician": frozenset({Permission.VIEW_RECORD, Permission.MESSAGES,
                            Permission.APPOINTMENTS, Permission.ADD_DOCUMENTS}),
    "front_desk": frozenset({Permission.MESSAGES, Permission.APPOINTMENTS,
                             Permission.MANAGE_ACCOUNT, Permission.ADD_DOCUMENTS}),
    # Billing staff answer the billing team's messages.
    "billing": frozenset({Permission.BILLING, Permission.MESSAGES, Permission.MANAGE_ACCOUNT}),
}

ACTING_FOR_KEY = "acting_for"


def may(user: User, permission: Permission, patient: Patient | int | None) -> bool:
    """Whether `user` may do `permission` to the record of `patient` (a Patient or its id)."""
    return permission in permissions_for(user, patient)


def permissions_for(user: User, patient: Patient | int | None) -> frozenset[Permission]:
    """Everything `user` may do to `patient`'s record: all of it for their own record, their
    role's for staff, what a grant allows today for someone acting for the patient."""
    if not user.is_authenticated or not user.is_active or patient is None:
        return frozenset()
    if user.is_staff:
        return STAFF_PERMISSIONS.get(user.role, frozenset())
    patient_id = patient.id if isinstance(patient, Patient) else patient
    if user.patient_id is not None and user.patient_id == patient_id:
        return frozenset(Permission)
    for link in acts_for(user):
        if link.patient_id == patient_id:
            # Adding documents is for staff, whatever a grant says.
            return frozenset(p for p in Permission
                             if p in link.permissions and p != Permission.ADD_DOCUMENTS)
    return frozenset()


def acts_for(user: User) -> list:
    """The people `user` may act for today through a grant (family.rules.Link values)."""
    if not user.is_authenticated or user.is_staff:
        return []
    from portal.family.rules import links_for

    return links_for(user)


def acting_patient_id(user: User) -> int | None:
    """The patient a signed-in patient user acts for: the one chosen in this session while
    a grant still allows it, else their own record, else the first person they act for.

    A choice no grant allows (revoked, expired, or never given) stays the choice, so that
    `patient_for` refuses it with 404 and an audit line until the user switches back.
    """
    chosen = session.get(ACTING_FOR_KEY)
    if chosen is not None and chosen != user.patient_id:
        return chosen
    if user.patient_id is not None:
        return user.patient_id
    links = acts_for(user)
    if not links:
        return None
    # Kept as the choice: should the grant end during the session, refusals name this patient.
    session[ACTING_FOR_KEY] = links[0].patient_id
    return links[0].patient_id


def forget_ended_choice(user: User) -> bool:
    """Drop the choice of whom to act for once the grant that allowed it has ended
    (revoked, expired, ended by an age rule), with the refusal on record; True when dropped.

    Only the home page does this; every other page keeps refusing the choice with 404,
    and so does the home page for a choice no grant ever allowed.
    """
    chosen = session.get(ACTING_FOR_KEY)
    if chosen is None or chosen == user.patient_id or permissions_for(user, chosen):
        return False
    from portal.family.rules import ever_granted

    if not ever_granted(user, chosen):
        return False
    audit.record(audit.Action.DENIED_RECORDS, patient=chosen, outcome="denied",
                 target="home: access ended", commit=True)
    session.pop(ACTING_FOR_KEY)
    return True


def acting_as_proxy(patient: Patient | int) -> bool:
    """Whether this request reads `patient`'s record as someone acting for them (a proxy).

    Confidential items are left out for a proxy; the patient and staff see them.
    """
    if not has_request_context() or not current_user.is_authenticated:
        return False
    return acts_for_another(current_user, patient.id if isinstance(patient, Patient) else patient)


def acts_for_another(user: User | None, patient_id: int | None) -> bool:
    """Whether `user` acts on `patient_id`'s record as someone other than the patient (a
    parent, a carer): not staff, and not their own record. Staff pages use it to say so
    next to the person's name (messages, correction requests, check-in, the audit trail)."""
    return user is not None and not_the_patient(user.role, user.patient_id, patient_id)


def not_the_patient(role: str | None, own_patient_id: int | None,
                    patient_id: int | None) -> bool:
    """`acts_for_another` from a person's role and own record (e.g. columns of a row)."""
    return (role is not None and role not in STAFF_ROLES and patient_id is not None
            and own_patient_id != patient_id)


def patient_for(permission: Permission, patient_id: int | None = None) -> Patient:
    """Return the patient this request acts for, or refuse with 404 and an audit line.

    Patients act for themselves (or, later, for whom a grant allows); staff name the
    patient in the URL. A refusal looks exactly like a missing record.
    """
    user = current_user
    if not user.is_authenticated:
        abort(401)
    if patient_id is None and not user.is_staff:
        patient_id = acting_patient_id(user)
    patient = db.session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None or not may(user, permission, patient):
        audit.record(audit.Action.denied(permission), patient=patient_id if patient else None,
                     outcome="denied", commit=True)
        abort(404)
    return patient


def refuse(permission: Permission, patient: Patient | int | None = None,
           target: str | None = None):
    """Answer 404 for something this user may not see, and write the refusal to the audit.

    For a thing that belongs to a patient (a result, a document) that the view could not
    find within the patient the request acts for: the refusal looks exactly like a
    missing page, and the attempt is on record.
    """
    audit.record(audit.Action.denied(permission), patient=patient, outcome="denied", target=target,
                 commit=True)
    abort(404)


def find_or_refuse(what, row_id: int, patient: Patient | None, permission: Permission, *,
                   name: str | None = None):
    """The row `row_id` of `patient`, or refuse with 404 and an audit line.

    `what` is a model with a `patient_id` column (looked up by id within the patient) or a
    function `(patient, row_id) -> row | None` for rows that need more rules (released
    results, confidential items). A row of someone else looks exactly like a missing one.

    Staff pages that name a row rather than a patient (a payment to refund) pass
    `patient=None`: the row is found by id, and the user must have `permission` for the
    row's patient, through the same gate.
    """
    if callable(what) and not isinstance(what, type):
        found = what(patient, row_id)
    elif patient is None:
        found = db.session.get(what, row_id)
    else:
        found = db.session.scalar(select(what).where(what.id == row_id,
                                                     what.patient_id == patient.id))
    if found is not None and patient is None and getattr(found, "patient_id", None) is not None:
        patient_for(permission, found.patient_id)
    if found is None:
        label = name or getattr(what, "__tablename__", None) or getattr(what, "__name__", "row")
        refuse(permission, patient, target=f"{label}:{row_id}")
    return found
