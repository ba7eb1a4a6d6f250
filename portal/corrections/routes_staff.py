"""Staff's side: the list of correction requests with their due dates, and deciding one."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse, patient_for
from portal.audit import Action
from portal.corrections import bp, services
from portal.corrections.forms import REASON_LABELS, AcceptForm, DeclineForm
from portal.corrections.models import CorrectionRequest
from portal.family.rules import clinic_today
from portal.pipeline import STAFF, area_view, shown
from portal.rendering import redirect_after_post, render

#: Staff roles that decide correction requests: those who may change the record's content.
DECIDERS = ("clinician", "admin")


def _staff_view(target: str):
    return area_view(side=STAFF, roles=DECIDERS, feature="records",
                     audit=Action.CORRECTION_VIEWED, target=target)


@bp.get("/staff/corrections")
@_staff_view("corrections")
def staff_list():
    """Correction requests: open ones first, the earliest due date first."""
    page = services.staff_page(request.args.get("page", 1, type=int))
    shown(found.patient_id for found in page.items)
    return render("corrections/staff_list.html", "list", requests=page,
                  reasons=REASON_LABELS, today=clinic_today())


def _found(correction_id: int):
    """The request and its patient, through the gate; none or not allowed: 404 and audit."""
    found = find_or_refuse(CorrectionRequest, correction_id, None, Permission.VIEW_RECORD,
                           name="correction")
    return found, patient_for(Permission.VIEW_RECORD, found.patient_id)


def _detail(found, patient, accept=None, decline=None, status=200):
    shown([patient])
    item = services.item_of(found)
    return render("corrections/staff_detail.html", status=status, found=found,
                  patient=patient, item=item, item_page=services.item_page(item) if item else None,
                  reasons=REASON_LABELS,
                  accept=accept or AcceptForm(prefix="accept", formdata=None),
                  decline=decline or DeclineForm(prefix="decline", formdata=None),
                  today=clinic_today())


@bp.get("/staff/corrections/<int:correction_id>")
@_staff_view("correction:{correction_id}")
def staff_request(correction_id: int):
    """One request: what the patient says, what the record says, and the two decisions."""
    return _detail(*_found(correction_id))


@bp.post("/staff/corrections/<int:correction_id>/accept")
@_staff_view("correction:{correction_id}")
def staff_accept(correction_id: int):
    """Accept: the item is marked corrected with what changed (and its new value, if given),
    or taken out of the record."""
    found, patient = _found(correction_id)
    form = AcceptForm(prefix="accept")
    if not form.validate_on_submit():
        return _detail(found, patient, accept=form, status=422)
    try:
        services.accept(found, current_user._get_current_object(), form.change.data,
                        form.corrected_value.data, remove=form.remove.data)
    except services.AlreadyDecided:
        flash(_("This request was decided already, perhaps by a colleague a moment ago."), "info")
    else:
        flash(_("Correction accepted. %(name)s is told by e-mail that there is an answer.",
                name=patient.full_name), "success")
    return redirect_after_post(url_for("corrections.staff_list"))


@bp.post("/staff/corrections/<int:correction_id>/decline")
@_staff_view("correction:{correction_id}")
def staff_decline(correction_id: int):
    """Decline, with the reason the patient reads; the record stays as it is."""
    found, patient = _found(correction_id)
    form = DeclineForm(prefix="decline")
    if not form.validate_on_submit():
        return _detail(found, patient, decline=form, status=422)
    try:
        services.decline(found, current_user._get_current_object(), form.reason.data)
    except services.AlreadyDecided:
        flash(_("This request was decided already, perhaps by a colleague a moment ago."), "info")
    else:
        flash(_("Request declined. %(name)s is told by e-mail that there is an answer.",
                name=patient.full_name), "success")
    return redirect_after_post(url_for("corrections.staff_list"))
