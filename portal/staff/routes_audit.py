"""The audit trail for the clinic: each patient's lines, and the administrators' search."""

from flask import request

from portal.access import Permission
from portal.audit import Action
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, audit_target, shown
from portal.rendering import render
from portal.staff import bp, services_audit
from portal.staff.forms import AuditSearchForm

#: Who reads the audit trail: administrators (who answer for the clinic's use of records)
#: and clinicians (who answer to the patient for who opened their record).
AUDIT_READERS = ("admin", "clinician")
#: How many of the newest lines the patient's staff page shows.
LATEST = 10


@bp.get("/patients/<int:patient_id>/audit")
@area_view(side=STAFF, roles=AUDIT_READERS, permission=Permission.VIEW_RECORD,
           audit=Action.AUDIT_VIEWED, target="audit:patient")
def patient_audit(patient):
    """Who did what to this patient's record, newest first, a page at a time.

    For administrators and clinicians only, the roles that may read the record itself
    (VIEW_RECORD): the trail names every page of the record someone opened, so a role that
    may not open the record (front desk, billing) may not read what was opened either.
    """
    lines = services_audit.patient_lines(patient, page_number())
    shown(services_audit.patients_shown(lines.items))
    return render("staff/patient_audit.html", "lines", patient=patient, lines=lines)


@bp.get("/audit")
@area_view(side=STAFF, roles=("admin",), audit=Action.AUDIT_VIEWED, target="audit:search")
def audit_search():
    """Search the whole audit trail by patient, staff member, action, outcome and days.

    Administrators only: the search crosses every patient's record and every account, which
    is the clinic's oversight, not care of one patient. The search is itself on record:
    one line, and one line for each patient whose lines it lists.
    """
    form = AuditSearchForm(request.args, staff=services_audit.staff_members())
    valid = form.validate()
    patient_id = None
    if valid and form.patient.data:
        patient_id, why_not = services_audit.find_patient(form.patient.data)
        if why_not:
            form.patient.errors = [why_not]
            valid = False
    if not valid:
        return render("staff/audit_search.html", "search", status=422, form=form,
                      lines=None, filters={})
    lines = services_audit.search(services_audit.Filters(
        patient_id=patient_id, actor_id=form.actor_id, action=form.action.data or None,
        outcome=form.outcome.data or None, first_day=form.from_date.data,
        last_day=form.to_date.data), page_number())
    shown(services_audit.patients_shown(lines.items))
    audit_target(_search_target(patient_id, form))
    filters = {name: value for name, value in request.args.items() if name != "page" and value}
    return render("staff/audit_search.html", "search", form=form, lines=lines,
                  filters=filters)


def _search_target(patient_id, form) -> str:
    """What was searched, as the audit line's target: identifiers and days only."""
    parts = ["audit:search"]
    if patient_id is not None:
        parts.append(f"patient:{patient_id}")
    for name, value in (("actor", form.actor_id), ("action", form.action.data),
                        ("outcome", form.outcome.data), ("from", form.from_date.data),
                        ("to", form.to_date.data)):
        if value:
            parts.append(f"{name}:{value}")
    return "; ".join(parts)
