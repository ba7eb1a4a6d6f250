"""Staff's side of proxy access: requests to check, and the decision on each."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.clinic import current_clinic
from portal.extensions import db
from portal.family import bp, services
from portal.family.forms import ChildSearchForm, DecideForm
from portal.family.models import AccessRequest
from portal.family.rules import clinic_today, why_no_access
from portal.files import send_stored_file
from portal.i18n import fmt_date
from portal.models import Patient
from portal.pipeline import STAFF, area_view, shown
from portal.rendering import redirect_after_post, render

STAFF_ROLES = ("front_desk", "admin")


def staff_family(audit: Action | None = None, target: str | None = None):
    """A staff page of proxy access (front desk and administrators)."""
    return area_view(side=STAFF, roles=STAFF_ROLES, feature="family", audit=audit,
                     target=target)


@bp.get("/staff/family")
@staff_family(Action.FAMILY_VIEWED, "requests")
def staff_requests():
    """Requests to act for a child that wait for an identity check."""
    pending = db.session.scalars(
        select(AccessRequest).options(joinedload(AccessRequest.requester))
        .where(AccessRequest.status == "pending")
        .order_by(AccessRequest.created_at, AccessRequest.id).limit(50)).all()
    shown(found.requester.patient_id for found in pending)
    shown(services.named_children(pending))
    return render("family/staff_requests.html", pending=pending)


def _pending_request(_none, request_id: int) -> AccessRequest | None:
    return db.session.scalar(select(AccessRequest).options(joinedload(AccessRequest.requester))
                             .where(AccessRequest.id == request_id,
                                    AccessRequest.status == "pending"))


def _pending(request_id: int) -> AccessRequest:
    """A request waiting for a decision (any other is a 404 with an audit line); the
    requester's record, if they have one, is shown with it."""
    found = find_or_refuse(_pending_request, request_id, None, Permission.MANAGE_ACCOUNT,
                           name="proxy-request")
    shown([found.requester.patient_id])
    return found


def _request_page(found: AccessRequest, form: DecideForm, query: str, status: int = 200):
    """The request, the search for its child (the typed name at first), and the decision.

    The child is chosen from the search's results, never typed as a number: staff see
    name, date of birth and patient ID side by side with what the requester typed.
    """
    search = ChildSearchForm(formdata=None, q=query)
    candidates = services.child_candidates(query)
    shown(candidates)
    form.q.data = query
    form.patient_id.choices = [
        SelectChoice(patient.id, _("%(name)s, born %(date)s, %(number)s",
                                   name=f"{patient.family_name}, {patient.given_name}",
                                   date=fmt_date(patient.birth_date),
                                   number=patient.patient_number))
        for patient in candidates]
    return render("family/staff_request.html", status=status, found=found, form=form,
                  search=search, candidates=candidates)


@bp.get("/staff/family/requests/<int:request_id>")
@staff_family(Action.FAMILY_VIEWED, "proxy-request:{request_id}")
def staff_request(request_id: int):
    """One request: what the requester typed, a search for the child, approve or decline."""
    found = _pending(request_id)
    search = ChildSearchForm(request.args)
    query = (search.q.data if search.validate() and search.q.data is not None
             else f"{found.given_name} {found.family_name}").strip()
    form = DecideForm(formdata=None, relationship=found.relationship_kind)
    return _request_page(found, form, query)


@bp.get("/staff/family/requests/<int:request_id>/document")
@staff_family(Action.PROXY_DOCUMENT_DOWNLOADED, "proxy-request:{request_id}")
def staff_request_document(request_id: int):
    """The document the requester sent with the request, as a download (audited)."""
    found = _pending(request_id)
    if found.file is None:
        abort(404)
    return send_stored_file(found.file)


@bp.post("/staff/family/requests/<int:request_id>")
@staff_family()
def staff_decide(request_id: int):
    """Approve (matched to a patient, with the chosen rights) or decline a request."""
    found = _pending(request_id)
    form = DecideForm()
    patient = None
    query = (form.q.data or "").strip()[:100]
    form.patient_id.choices = [SelectChoice(p.id, p.full_name)
                               for p in services.child_candidates(query)]
    if form.validate() and form.decision.data == "approve":
        patient = db.session.get(Patient, form.patient_id.data) if form.patient_id.data else None
        if patient is None:
            form.patient_id.errors.append(_("Choose the child from the search results."))
        else:
            missing = why_no_access(patient, form.relationship.data,
                                    form.child_consented.data, clinic_today(), current_clinic())
            if missing:
                form.child_consented.errors.append(missing)
        if form.ends_on.data is not None and form.ends_on.data < clinic_today():
            form.ends_on.errors.append(_("The end date has passed. Choose a later date or "
                                         "leave it empty."))
        if not form.chosen():
            form.perm_records.errors.append(_("Choose at least one thing they may do."))
    if any(f.errors for f in form):
        return _request_page(found, form, query, status=422)
    staff = current_user._get_current_object()
    if form.decision.data == "approve":
        services.approve(found, staff, patient=patient, permissions=form.chosen(),
                         relationship=form.relationship.data, ends_on=form.ends_on.data,
                         reason=form.reason.data, child_consented=form.child_consented.data,
                         today=clinic_today())
        flash(_("Access approved."), "success")
    else:
        services.decline(found, staff, form.reason.data)
        flash(_("Request declined."), "success")
    return redirect_after_post(url_for("family.staff_requests"))
