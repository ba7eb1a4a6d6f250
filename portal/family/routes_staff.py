"""Staff's side of proxy access: requests to check, and the decision on each."""

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.access import staff_required
from portal.clinic import feature_required
from portal.extensions import db
from portal.family import bp, services
from portal.family.forms import DecideForm
from portal.family.models import AccessRequest
from portal.family.rules import clinic_today
from portal.files import send_stored_file
from portal.rendering import redirect_after_post, render

STAFF_ROLES = ("front_desk", "admin")


@bp.get("/staff/family")
@staff_required(*STAFF_ROLES)
@feature_required("family")
def staff_requests():
    """Requests to act for a child that wait for an identity check."""
    pending = db.session.scalars(
        select(AccessRequest).options(joinedload(AccessRequest.requester))
        .where(AccessRequest.status == "pending")
        .order_by(AccessRequest.created_at, AccessRequest.id).limit(50)).all()
    return render("family/staff_requests.html", pending=pending)


def _pending(request_id: int) -> AccessRequest:
    found = db.session.scalar(select(AccessRequest).options(joinedload(AccessRequest.requester))
                              .where(AccessRequest.id == request_id,
                                     AccessRequest.status == "pending"))
    if found is None:
        abort(404)
    return found


@bp.get("/staff/family/requests/<int:request_id>")
@staff_required(*STAFF_ROLES)
@feature_required("family")
def staff_request(request_id: int):
    """One request: what the requester typed, and the form to approve or decline it."""
    found = _pending(request_id)
    form = DecideForm(formdata=None, relationship=found.relationship_kind)
    return render("family/staff_request.html", found=found, form=form)


@bp.get("/staff/family/requests/<int:request_id>/document")
@staff_required(*STAFF_ROLES)
@feature_required("family")
def staff_request_document(request_id: int):
    """The document the requester sent with the request, as a download (audited)."""
    found = _pending(request_id)
    if found.file is None:
        abort(404)
    response = send_stored_file(found.file)
    audit.record(audit.Action.PROXY_DOCUMENT_DOWNLOADED,
                 target=f"proxy-request:{found.id}", commit=True)
    return response


@bp.post("/staff/family/requests/<int:request_id>")
@staff_required(*STAFF_ROLES)
@feature_required("family")
def staff_decide(request_id: int):
    """Approve (matched to a patient, with the chosen rights) or decline a request."""
    found = _pending(request_id)
    form = DecideForm()
    patient = None
    if form.validate() and form.decision.data == "approve":
        patient = services.find_patient(form.patient_number.data or "")
        if patient is None:
            form.patient_number.errors.append(_("No patient has this number. Enter the "
                                                "patient number of the child."))
        if not form.chosen():
            form.perm_records.errors.append(_("Choose at least one thing they may do."))
    if any(f.errors for f in form):
        return render("family/staff_request.html", status=422, found=found, form=form)
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
