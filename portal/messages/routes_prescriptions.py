"""Repeat prescriptions: the patient asks from the medicines list, a clinician decides.

Asking needs both the right to read the record (to see the medicine) and the right to
write to the clinic; deciding is for clinicians and administrators.
"""

from functools import partial

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, acting_as_proxy, acting_patient_id, find_or_refuse, may
from portal.audit import Action
from portal.clinic import current_clinic
from portal.messages import bp, prescriptions
from portal.messages.forms import DecisionForm, RepeatForm
from portal.messages.models import REQUESTED, RepeatRequest
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, audit_target, shown
from portal.rendering import redirect_after_post, render

#: Staff roles that approve or decline repeat prescriptions.
PRESCRIBERS = ("clinician", "admin")


def repeat_prescriptions_offered() -> bool:
    """Whether the medicines page offers the signed-in person to ask for repeats."""
    return (current_user.is_authenticated and not current_user.is_staff
            and current_clinic().feature_on("messages")
            and may(current_user, Permission.MESSAGES, acting_patient_id(current_user)))


def repeats_view(audit: Action | None = None, target: str | None = None):
    """A patient's repeat prescription page: asking needs the right to write to the clinic
    and to read the record (the medicine)."""
    return area_view(feature="messages", audit=audit, target=target,
                     permission=(Permission.MESSAGES, Permission.VIEW_RECORD))


def staff_repeats(audit: Action | None = None, target: str | None = None):
    """A page of repeat prescriptions for clinicians and administrators."""
    return area_view(side=STAFF, roles=PRESCRIBERS, feature="messages", audit=audit,
                     target=target)


@bp.get("/prescriptions")
@repeats_view(Action.REPEATS_LISTED, "prescriptions")
def prescriptions_list(patient):
    """The patient's repeat prescription requests and what the clinic decided."""
    page = prescriptions.patient_requests(patient, page_number())
    return render("messages/prescriptions.html", "requests", patient=patient, requests=page)


@bp.route("/prescriptions/new/<int:item_id>", methods=["GET", "POST"])
@repeats_view(Action.RECORD_VIEWED, "repeat-request:{item_id}")
def request_repeat(patient, item_id: int):
    """Ask for more of a current medicine: which pharmacy, and an optional note."""
    medicine = find_or_refuse(
        partial(prescriptions.repeatable_medicine, as_proxy=acting_as_proxy(patient)),
        item_id, patient, Permission.VIEW_RECORD, name="medication")
    waiting = prescriptions.open_request_for(patient, medicine.id)
    form = RepeatForm(prescriptions.pharmacy_choices(patient))
    if request.method == "POST" and waiting is None and form.validate_on_submit():
        prescriptions.request_repeat(patient, current_user, medicine, form.chosen_pharmacy(),
                                     form.note.data or "")
        flash(_("Your request is sent. You will get an e-mail when the clinic has decided."),
              "success")
        return redirect_after_post(url_for("messages.prescriptions_list"))
    status = 409 if request.method == "POST" and waiting else 422 if form.errors else 200
    return render("messages/request_repeat.html", status=status, patient=patient,
                  medicine=medicine, form=form, waiting=waiting)


@bp.get("/staff/prescriptions")
@staff_repeats(Action.REPEATS_LISTED)
def staff_prescriptions():
    """Requests waiting for a decision (oldest first), or those already decided."""
    status = "decided" if request.args.get("status") == "decided" else REQUESTED
    page = prescriptions.staff_requests(status, page_number())
    shown(found.patient_id for found in page.items)
    audit_target(f"staff:{status}")
    return render("messages/staff_prescriptions.html", "requests", requests=page,
                  showing=status)


@bp.route("/staff/prescriptions/<int:request_id>", methods=["GET", "POST"])
@staff_repeats(Action.REPEAT_VIEWED, "repeat:{request_id}")
def staff_prescription(request_id: int):
    """One request: the medicine, pharmacy and note, and the decision with its reason."""
    found = find_or_refuse(RepeatRequest, request_id, None, Permission.VIEW_RECORD,
                           name="repeat")
    patient = found.patient
    shown([patient])
    form = DecisionForm()
    if request.method == "POST" and found.status == REQUESTED and form.validate_on_submit():
        prescriptions.decide(found, current_user, form.decision.data == "approve",
                             form.reason.data or "")
        flash(_("The decision is saved and the patient is told."), "success")
        return redirect_after_post(url_for("messages.staff_prescriptions"))
    status = 409 if request.method == "POST" and found.status != REQUESTED else (
        422 if form.errors else 200)
    return render("messages/staff_prescription.html", status=status, request_=found,
                  patient=patient, form=form)
