"""The one way into a view of a patient's data: `area_view`.

Every view that shows or changes a patient's data is decorated with `area_view`, which
does, in this order, what each area once wrote for itself:

1. sign-in (a visitor goes to the sign-in page; required steps such as a temporary
   password are enforced for every request by `auth.routes.required_steps`);
2. which side the view serves: patients (themselves, or someone they act for) at the
   patient addresses, staff (of the named roles) at `/staff/...` addresses, both where
   one view serves both families of addresses, or anyone signed in (their own account);
3. the clinic's switch for the area (`feature`): off means 404;
4. the patient the request acts for, through `access.patient_for` (the one gate), passed
   to the view as `patient`; a refusal is 404 plus an audit line;
5. once the page is rendered, for a read (GET) that answered 200: one audit line with
   `audit` naming each patient whose data the response shows: the acting patient, plus
   any the view lists (`shown(...)`); one line naming nobody when it showed no one.

The audit line is written after rendering because committing earlier would expire the
loaded rows and the template would load each again. A read never saves rows as a side
effect: whatever the view left unsaved is rolled back before the line is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, request
from flask_login import current_user

from portal import audit
from portal.access import Permission, may, patient_for, refuse
from portal.extensions import db, login_manager
from portal.models import STAFF_ROLES, Patient

log = logging.getLogger(__name__)

PATIENT, STAFF, BOTH, ANYONE = "patient", "staff", "both", "anyone"


@dataclass(frozen=True)
class ViewSpec:
    """What `area_view` was told about a view; tests read it from `view.area_view`."""

    side: str
    feature: str | None
    permission: Permission | Callable[[], Permission] | None
    audit: audit.Action | None
    target: str | None
    roles: tuple[str, ...]


def area_view(*, side: str = PATIENT, feature: str | None = None,
              permission: Permission | tuple | Callable[[], Permission] | None = None,
              audit: audit.Action | None = None, target: str | None = None,
              roles: tuple[str, ...] = ()):
    """Decorate a view of patient data; see the module's docstring for what it does.

    `permission` may be a tuple of permissions that are all needed, or a function
    returning the permission (the home page's depends on the grant). `target` is the
    audit line's target, formatted with the view's URL values (`"result:{item_id}"`);
    the request's path when not given. A view with a permission
    gets the patient as the keyword argument `patient`; a staff view without one gets
    `patient_id` unchanged, if its URL has one.
    """
    if side not in (PATIENT, STAFF, BOTH, ANYONE):
        raise ValueError(f"unknown side {side!r}")
    spec = ViewSpec(side, feature, permission, audit, target, tuple(roles))

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            _check_side(spec, kwargs.get("patient_id"))
            if spec.feature is not None:
                from portal.clinic import current_clinic

                if not current_clinic().feature_on(spec.feature):
                    abort(404)
            values = dict(kwargs)
            if spec.permission is not None:
                patient_id = kwargs.pop("patient_id", None)
                # A patient-side URL may name the patient too (someone acting for a child
                # names the child): the gate decides, as for staff.
                kwargs["patient"] = _acting_patient(spec.permission, patient_id)
            response = view(*args, **kwargs)
            if spec.audit is not None and request.method in ("GET", "HEAD"):
                _audit_read(spec, response, kwargs.get("patient"), values)
            return response

        wrapped.area_view = spec
        return wrapped

    return decorator


def _check_side(spec: ViewSpec, patient_id) -> None:
    """Refuse a user of the wrong side (404, and an audit line for a staff address)."""
    user = current_user
    if spec.side == ANYONE:  # the person's own account: patients and staff alike
        return
    staff_side = spec.side == STAFF or (spec.side == BOTH and patient_id is not None)
    if staff_side:
        if not user.is_staff and spec.side == BOTH:
            # A patient at a staff address: refused even for their own record.
            refuse(Permission.VIEW_RECORD)
        if not user.is_staff or user.role not in (spec.roles or STAFF_ROLES):
            audit.record(audit.Action.DENIED_STAFF, outcome="denied", commit=True)
            abort(404)
    elif user.is_staff:
        abort(404)


def _acting_patient(permission, patient_id: int | None) -> Patient:
    """The patient through the gate: `permission` is one Permission, a tuple of them (all
    needed: the first chooses the patient), or a function that returns one."""
    wanted = permission() if callable(permission) else permission
    first, *more = wanted if isinstance(wanted, tuple) else (wanted,)
    patient = patient_for(first, patient_id)
    for also in more:
        if not may(current_user, also, patient):
            refuse(also, patient)
    return patient


def shown(patients: Iterable[Patient | int]) -> None:
    """Name more patients whose data this response shows (a list of several patients):
    each gets the view's audit line."""
    listed = g.setdefault("audit_shown", {})
    for patient in patients:
        patient_id = patient.id if isinstance(patient, Patient) else patient
        if patient_id is not None:
            listed[patient_id] = None


def audit_target(target: str, action: audit.Action | None = None) -> None:
    """Set the audit line's target for this response (when the URL alone does not say),
    and its action where one view answers with two kinds of read (a page or a file)."""
    g.audit_target = target
    if action is not None:
        g.audit_action = action


def _audit_read(spec: ViewSpec, response, patient: Patient | None, values: dict) -> None:
    if getattr(response, "status_code", 200) != 200:
        return
    patients = dict.fromkeys([patient.id] if patient is not None else [])
    patients.update(g.pop("audit_shown", {}))
    target = g.pop("audit_target", None)
    if target is None and spec.target is not None:
        target = spec.target.format(**values)
    session = db.session
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        log.warning("a read left unsaved changes; rolled back: %s", request.path)
        session.rollback()
    # A read that showed nobody's data in particular (an empty list) is on record too.
    audit.record_reads(g.pop("audit_action", spec.audit), patients or [None], target)
