"""Repeat prescriptions: the patient asks from the medicines list, a clinician decides.

Asking needs both the right to read the record (to see the medicine) and the right to
write to the clinic; deciding is for clinicians and administrators.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import (
    Permission,
    acting_patient_id,
    may,
    patient_for,
    patient_required,
    refuse,
    staff_required,
)
from portal.clinic import current_clinic, feature_required
from portal.messages import bp, prescriptions
from portal.messages.forms import DecisionForm, RepeatForm
from portal.messages.models import REQUESTED
from portal.rendering import redirect_after_post, render

#: Staff roles that approve or decline repeat prescriptions.
PRESCRIBERS = ("clinician", "admin")


def repeat_prescriptions_offered() -> bool:
    """Whether the medicines page offers the signed-in person to ask for repeats."""
    return (current_user.is_authenticated and not current_user.is_staff
            and current_clinic().feature_on("messages")
            and may(current_user, Permission.MESSAGES, acting_patient_id(current_user)))


def _patient():
    """The patient acted for, who must also allow reading the record (the medicine)."""
    patient = patient_for(Permission.MESSAGES)
    if not may(current_user, Permission.VIEW_RECORD, patient):
        refuse(Permission.VIEW_RECORD, patient)
    return patient


@bp.get("/prescriptions")
@patient_required
@feature_required("messages")
def prescriptions_list():
    """The patient's repeat prescription requests and what the clinic decided."""
    patient = _patient()
    page = prescriptions.patient_requests(patient, request.args.get("page", 1, type=int))
    response = render("messages/prescriptions.html", "requests", patient=patient,
                      requests=page)
    audit.record(audit.Action.REPEATS_LISTED, patient=patient, commit=True)
    return response


@bp.route("/prescriptions/new/<int:item_id>", methods=["GET", "POST"])
@patient_required
@feature_required("messages")
def request_repeat(item_id: int):
    """Ask for more of a current medicine: which pharmacy, and an optional note."""
    patient = _patient()
    medicine = prescriptions.repeatable_medicine(patient, item_id)
    if medicine is None:
        refuse(Permission.VIEW_RECORD, patient, target=f"medication:{item_id}")
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
@staff_required(*PRESCRIBERS)
@feature_required("messages")
def staff_prescriptions():
    """Requests waiting for a decision (oldest first), or those already decided."""
    status = "decided" if request.args.get("status") == "decided" else REQUESTED
    page = prescriptions.staff_requests(status, request.args.get("page", 1, type=int))
    response = render("messages/staff_prescriptions.html", "requests", requests=page,
                      showing=status)
    audit.record(audit.Action.REPEATS_LISTED, target=f"staff:{status}", commit=True)
    return response


@bp.route("/staff/prescriptions/<int:request_id>", methods=["GET", "POST"])
@staff_required(*PRESCRIBERS)
@feature_required("messages")
def staff_prescription(request_id: int):
    """One request: the medicine, pharmacy and note, and the decision with its reason."""
    found = prescriptions.find_request(request_id)
    if found is None:
        refuse(Permission.VIEW_RECORD, target=f"repeat:{request_id}")
    patient = patient_for(Permission.VIEW_RECORD, found.patient_id)
    form = DecisionForm()
    if request.method == "POST" and found.status == REQUESTED and form.validate_on_submit():
        prescriptions.decide(found, current_user, form.decision.data == "approve",
                             form.reason.data or "")
        flash(_("The decision is saved and the patient is told."), "success")
        return redirect_after_post(url_for("messages.staff_prescriptions"))
    status = 409 if request.method == "POST" and found.status != REQUESTED else (
        422 if form.errors else 200)
    response = render("messages/staff_prescription.html", status=status, request_=found,
                      patient=patient, form=form)
    if request.method == "GET":
        audit.record(audit.Action.REPEAT_VIEWED, patient=patient, target=f"repeat:{found.id}",
                     commit=True)
    return response
