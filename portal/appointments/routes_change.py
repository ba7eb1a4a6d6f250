"""Moving an appointment, checking in before it, and the patient's referrals."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, acting_as_proxy, find_or_refuse, may
from portal.appointments import bp, checkin, notify, referrals, services
from portal.appointments.forms import CheckInForm, ConfirmForm
from portal.appointments.routes import (
    appointments_view,
    calendar_context,
    patient_user,
)
from portal.audit import Action
from portal.clinic import current_clinic
from portal.i18n import fmt_datetime
from portal.paging import page_number
from portal.rendering import redirect_after_post, render
from portal.types import utcnow


def _changeable(patient, appointment_id: int):
    appointment = find_or_refuse(services.find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
    return patient, appointment, services.may_change(appointment, utcnow())


def _reschedule_page(patient, appointment, may_change: bool, status: int = 200,
                     message: str | None = None):
    now = utcnow()
    context = calendar_context(appointment.appointment_type, now, appointment) \
        if may_change else {}
    return render("appointments/reschedule.html", "slots", status=status, patient=patient,
                  appointment=appointment, may_change=may_change, message=message, **context)


@bp.get("/appointments/<int:appointment_id>/reschedule")
@appointments_view(Action.APPOINTMENT_VIEWED, "reschedule:{appointment_id}")
def reschedule(patient, appointment_id: int):
    """Choose a new time for the same kind of appointment."""
    patient, appointment, may_change = _changeable(patient, appointment_id)
    return _reschedule_page(patient, appointment, may_change)


@bp.route("/appointments/<int:appointment_id>/reschedule/<int:slot_id>",
          methods=["GET", "POST"])
@appointments_view(Action.APPOINTMENT_VIEWED, "reschedule:{appointment_id}")
def reschedule_confirm(patient, appointment_id: int, slot_id: int):
    """Confirm the move: the new time is booked and the old one freed, together."""
    patient, appointment, may_change = _changeable(patient, appointment_id)
    slot = services.find_free_slot(slot_id, utcnow(), ignoring=appointment.id)
    taken = _("Sorry, that time has just been taken. Please choose another time.")
    if not may_change or slot is None or slot.id == appointment.slot_id or \
            appointment.appointment_type not in services.types_for_slot(slot, appointment.id):
        return _reschedule_page(patient, appointment, may_change, 409 if may_change else 200,
                                taken if may_change else None)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render("appointments/reschedule_confirm.html", patient=patient,
                      appointment=appointment, slot=slot, form=form)
    try:
        moved = services.reschedule(appointment, slot.id, patient_user(), utcnow(),
                                    tell=notify.queue_move)
    except services.TooLate:
        return _reschedule_page(patient, appointment, False)
    except services.SlotTaken:
        return _reschedule_page(patient, appointment, True, 409, taken)
    flash(_("Your appointment is moved from %(old)s to %(new)s. We have sent you an e-mail.",
            old=fmt_datetime(moved.moved_from, "short"),
            new=fmt_datetime(moved.starts_at, "short")), "success")
    return redirect_after_post(url_for("appointments.detail", appointment_id=moved.id))


def _check_in_page(patient, appointment, form, status: int = 200):
    forms = checkin.forms_to_fill(appointment)
    # Someone acting for the patient without the records permission sees none of it.
    shows_record = may(current_user, Permission.VIEW_RECORD, patient)
    medicines, allergies = checkin.record_to_confirm(
        patient, as_proxy=acting_as_proxy(patient)) if shows_record else ([], [])
    form.nothing_listed(bool(medicines), bool(allergies))
    now = utcnow()
    return render("appointments/check_in.html", status=status, patient=patient,
                  appointment=appointment, form=form, medicines=medicines, allergies=allergies,
                  shows_record=shows_record,
                  forms=forms, opens=checkin.opens_at(appointment),
                  open=checkin.may_check_in(appointment, now),
                  over=now >= appointment.starts_at or appointment.status != "booked")


@bp.route("/appointments/<int:appointment_id>/check-in", methods=["GET", "POST"])
@appointments_view(Action.CHECK_IN_VIEWED, "appointment:{appointment_id}")
def check_in(patient, appointment_id: int):
    """Before the visit: confirm contact details, insurance, medicines and allergies."""
    appointment = find_or_refuse(services.find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
    form = CheckInForm(data=appointment.check_in or None)
    if not checkin.may_check_in(appointment, utcnow()):
        return _check_in_page(patient, appointment, form)
    if not form.validate_on_submit():
        return _check_in_page(patient, appointment, form, 422 if form.errors else 200)
    answers = {name: getattr(form, name).data for name in (
        "contact_ok", "insurance_same", "medications_same", "medication_changes",
        "allergies_same", "allergy_changes")}
    checkin.save_check_in(appointment, answers, utcnow(), current_user._get_current_object())
    return redirect_after_post(_after_check_in(patient, appointment, answers))


def _after_check_in(patient, appointment, answers: dict) -> str:
    """Where a check-in leads: to the page where the reader can put right what they said
    has changed (the insurance, their own contact details), if they may; else the visit."""
    if (answers["insurance_same"] == "no" and current_clinic().feature_on("billing")
            and may(current_user, Permission.BILLING, patient)):
        flash(_("Thank you, you are checked in. You said the insurance has changed: enter "
                "the new details here, and the clinic checks them."), "success")
        return url_for("billing.insurance")
    if answers["contact_ok"] == "no" and current_user.patient_id == patient.id:
        flash(_("Thank you, you are checked in. You said your contact details are not up to "
                "date: correct them here."), "success")
        return url_for("account.contact")
    flash(_("Thank you, you are checked in."), "success")
    return url_for("appointments.detail", appointment_id=appointment.id)


@bp.get("/appointments/referrals")
@appointments_view(Action.REFERRALS_VIEWED, "referrals")
def referrals_list(patient):
    """The patient's referrals to specialists and services, with where each stands."""
    return render("appointments/referrals.html", patient=patient,
                  referrals=referrals.referrals_page(patient, page_number()),
                  status_name=referrals.status_name)
