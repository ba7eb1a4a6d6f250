"""Staff looking at one patient's appointments and keeping their referrals."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.appointments import bp, referrals, services
from portal.appointments.forms import ReferralForm, ReferralStatusForm
from portal.appointments.routes_staff import staff_page
from portal.audit import Action
from portal.paging import page_number
from portal.rendering import redirect_after_post, render
from portal.types import utcnow

PREFIX = "/staff/patients/<int:patient_id>"


def _page(patient, status: int = 200, form=None):
    now = utcnow()
    page = page_number()
    return render("appointments/staff_patient.html", status=status, patient=patient,
                      now=now, upcoming=services.upcoming_page(patient, now, 1),
                      past=services.past_page(patient, now, page),
                      referrals=referrals.referrals_page(patient, 1),
                      status_name=referrals.status_name,
                  form=form or ReferralForm(), status_form=ReferralStatusForm())


@bp.get(f"{PREFIX}/appointments")
@staff_page(permission=Permission.APPOINTMENTS, audit=Action.APPOINTMENTS_VIEWED,
            target="staff-patient-appointments")
def staff_patient(patient):
    """A patient's coming and past appointments and their referrals."""
    return _page(patient)


@bp.post(f"{PREFIX}/referrals")
@staff_page(permission=Permission.APPOINTMENTS)
def staff_add_referral(patient):
    """Record a referral for the patient; they see it in the portal."""
    form = ReferralForm()
    if not form.validate_on_submit():
        return _page(patient, 422, form)
    referrals.add_referral(patient, form.referred_to.data, form.reason.data or "",
                           form.status.data, form.referred_on.data,
                           current_user._get_current_object())
    flash(_("The referral is added."), "success")
    return redirect_after_post(url_for("appointments.staff_patient", patient_id=patient.id))


@bp.post(f"{PREFIX}/referrals/<int:referral_id>")
@staff_page(permission=Permission.APPOINTMENTS)
def staff_referral_status(patient, referral_id: int):
    """Move a referral on: sent, accepted, appointment made, completed or declined."""
    referral = find_or_refuse(referrals.find_referral, referral_id, patient,
                              Permission.APPOINTMENTS, name="referral")
    form = ReferralStatusForm()
    if form.validate_on_submit():
        referrals.set_status(referral, form.status.data)
        flash(_("The referral is updated."), "success")
    return redirect_after_post(url_for("appointments.staff_patient", patient_id=patient.id))
