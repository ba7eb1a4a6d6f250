"""Staff looking at one patient's appointments and keeping their referrals."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, patient_for, refuse
from portal.appointments import bp, referrals, services
from portal.appointments.forms import ReferralForm, ReferralStatusForm
from portal.appointments.routes import viewed
from portal.appointments.routes_staff import staff_page
from portal.rendering import redirect_after_post, render
from portal.types import utcnow

PREFIX = "/staff/patients/<int:patient_id>"


def _page(patient, status: int = 200, form=None):
    now = utcnow()
    page = request.args.get("page", 1, type=int)
    response = render("appointments/staff_patient.html", status=status, patient=patient,
                      now=now, upcoming=services.upcoming_page(patient, now, 1),
                      past=services.past_page(patient, now, page),
                      referrals=referrals.referrals_page(patient, 1),
                      status_name=referrals.status_name,
                      form=form or ReferralForm(), status_form=ReferralStatusForm())
    return viewed(response, patient, "appointments-viewed", "staff-patient-appointments")


@bp.get(f"{PREFIX}/appointments")
@staff_page
def staff_patient(patient_id: int):
    """A patient's coming and past appointments and their referrals."""
    return _page(patient_for(Permission.APPOINTMENTS, patient_id))


@bp.post(f"{PREFIX}/referrals")
@staff_page
def staff_add_referral(patient_id: int):
    """Record a referral for the patient; they see it in the portal."""
    patient = patient_for(Permission.APPOINTMENTS, patient_id)
    form = ReferralForm()
    if not form.validate_on_submit():
        return _page(patient, 422, form)
    referrals.add_referral(patient, form.referred_to.data, form.reason.data or "",
                           form.status.data, form.referred_on.data,
                           current_user._get_current_object())
    flash(_("The referral is added."), "success")
    return redirect_after_post(url_for("appointments.staff_patient", patient_id=patient.id))


@bp.post(f"{PREFIX}/referrals/<int:referral_id>")
@staff_page
def staff_referral_status(patient_id: int, referral_id: int):
    """Move a referral on: sent, accepted, appointment made, completed or declined."""
    patient = patient_for(Permission.APPOINTMENTS, patient_id)
    referral = referrals.find_referral(patient, referral_id)
    if referral is None:
        refuse(Permission.APPOINTMENTS, patient, target=f"referral:{referral_id}")
    form = ReferralStatusForm()
    if form.validate_on_submit():
        referrals.set_status(referral, form.status.data)
        flash(_("The referral is updated."), "success")
    return redirect_after_post(url_for("appointments.staff_patient", patient_id=patient.id))
