"""The patient's appointments: the lists, booking, one appointment, cancelling, calendar file."""

from datetime import date, timedelta

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import Permission, patient_for, patient_required, refuse
from portal.appointments import bp, checkin, notify, services
from portal.appointments.forms import BookForm, ConfirmForm
from portal.clinic import feature_required
from portal.i18n import in_language
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int
from portal.types import utcnow


def patient_page(view):
    """Patients only (staff have their own pages), with the area switched on."""
    return patient_required(feature_required("appointments")(view))


def viewed(response, patient, action: str, target: str):
    """Audit the read once the page is rendered (an earlier commit would reload every row)."""
    audit.record(action, patient=patient, target=target, commit=True)
    return response


def own_appointment(patient, appointment_id: int):
    """The patient's appointment, or 404 with an audit line."""
    found = services.find_appointment(patient, appointment_id)
    if found is None:
        refuse(Permission.APPOINTMENTS, patient, target=f"appointment:{appointment_id}")
    return found


def patient_user():
    """The signed-in person (the patient, or later someone acting for them)."""
    return current_user._get_current_object()


def page_number() -> int:
    return request.args.get("page", 1, type=int)


def chosen_day(default: date | None) -> date | None:
    """The first day the calendar shows: ?start=YYYY-MM-DD, never before today."""
    today = services.local_day(utcnow())
    try:
        asked = date.fromisoformat(request.args.get("start", ""))
    except ValueError:
        asked = None
    if asked is not None and asked.year > today.year + 10:
        asked = None  # nothing is bookable that far ahead, and the calendar could not page on
    day = asked or default or today
    return max(day, today)


def calendar_context(kind, now, moving=None) -> dict:
    """The free slots of a few days for `kind` (for the appointment `moving`, if one is
    moved), with the days before and after."""
    first = chosen_day(services.first_free_day(kind, now, moving))
    today = services.local_day(now)
    days = services.free_days(kind, first, now, moving=moving)
    earlier = max(first - timedelta(days=services.DAYS_PER_PAGE), today)
    return {"days": days, "first": first, "has_free": any(slots for _, slots in days),
            "earlier": earlier if first > today else None,
            "later": first + timedelta(days=services.DAYS_PER_PAGE)}


@bp.get("/appointments")
@patient_page
def index():
    """The patient's coming appointments, with what they can do next."""
    patient = patient_for(Permission.APPOINTMENTS)
    now = utcnow()
    response = render("appointments/index.html", "list", patient=patient, now=now,
                      appointments=services.upcoming_page(patient, now, page_number()))
    return viewed(response, patient, "appointments-viewed", "upcoming")


@bp.get("/appointments/past")
@patient_page
def past():
    """Past and cancelled appointments, newest first."""
    patient = patient_for(Permission.APPOINTMENTS)
    now = utcnow()
    response = render("appointments/past.html", "list", patient=patient, now=now,
                      appointments=services.past_page(patient, now, page_number()))
    return viewed(response, patient, "appointments-viewed", "past")


def _book_page(patient, kind, status: int = 200, message: str | None = None):
    now = utcnow()
    context = calendar_context(kind, now) if kind else {}
    return render("appointments/book.html", "slots", status=status, patient=patient,
                  types=services.online_types(), kind=kind, message=message, **context)


@bp.get("/appointments/book")
@patient_page
def book():
    """Choose the kind of appointment, then a free time from a few days at a time."""
    patient = patient_for(Permission.APPOINTMENTS)
    kind = services.find_online_type(request.args.get("type", type=bounded_int))
    return _book_page(patient, kind)


def _confirm_page(patient, slot, form, status: int = 200):
    return render("appointments/confirm.html", status=status, patient=patient, slot=slot,
                  form=form)


@bp.route("/appointments/book/<int:slot_id>", methods=["GET", "POST"])
@patient_page
def confirm(slot_id: int):
    """Confirm the chosen time with the reason for the visit, and book it."""
    patient = patient_for(Permission.APPOINTMENTS)
    kind = services.find_online_type(request.args.get("type", type=bounded_int))
    slot = services.find_free_slot(slot_id, utcnow())
    if slot is None or not services.types_for_slot(slot):
        return _book_page(patient, kind, 409, _("Sorry, that time has just been taken or is no "
                                                "longer available. Please choose another time."))
    kinds = services.types_for_slot(slot)
    form = BookForm(appointment_type=kind.id if kind in kinds else
                    (kinds[0].id if len(kinds) == 1 else None))
    form.appointment_type.choices = [(k.id, in_language(k.names)) for k in kinds]
    if not form.validate_on_submit():
        return _confirm_page(patient, slot, form, 422 if form.errors else 200)
    chosen = next(k for k in kinds if k.id == form.appointment_type.data)
    try:
        appointment = services.book(patient, slot.id, chosen, form.reason.data,
                                    patient_user())
    except services.SlotTaken:
        return _book_page(patient, chosen, 409, _("Sorry, someone else has just booked that "
                                                  "time. Please choose another time."))
    notify.send_confirmation(appointment)
    flash(_("Your appointment is booked. We have sent you an e-mail."), "success")
    return redirect_after_post(url_for("appointments.detail", appointment_id=appointment.id))


@bp.get("/appointments/<int:appointment_id>")
@patient_page
def detail(appointment_id: int):
    """One appointment: when, where, with whom, and what can still be done."""
    patient = patient_for(Permission.APPOINTMENTS)
    appointment = own_appointment(patient, appointment_id)
    now = utcnow()
    response = render("appointments/detail.html", patient=patient, appointment=appointment,
                      now=now, form=ConfirmForm(),
                      may_change=services.may_change(appointment, now),
                      deadline=services.change_deadline(appointment),
                      may_check_in=checkin.may_check_in(appointment, now),
                      check_in_opens=checkin.opens_at(appointment))
    return viewed(response, patient, "appointment-viewed", f"appointment:{appointment_id}")


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@patient_page
def cancel(appointment_id: int):
    """Ask once whether to cancel; on yes, cancel until the cut-off, freeing the time."""
    patient = patient_for(Permission.APPOINTMENTS)
    appointment = own_appointment(patient, appointment_id)
    form = ConfirmForm()
    here = url_for("appointments.detail", appointment_id=appointment.id)
    now = utcnow()
    if request.method == "GET" or not services.may_change(appointment, now):
        if request.method == "POST":
            flash(_("It is too late to cancel this appointment in the portal. Please call "
                    "the clinic."), "error")
            return redirect_after_post(here)
        return render("appointments/cancel.html", patient=patient, appointment=appointment,
                      form=form, may_change=services.may_change(appointment, now))
    if not form.validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
        return redirect_after_post(here)
    try:
        services.cancel(appointment, patient_user(), now)
    except services.TooLate:
        flash(_("It is too late to cancel this appointment in the portal. Please call the "
                "clinic."), "error")
        return redirect_after_post(here)
    notify.send_cancellation(appointment)
    flash(_("Your appointment is cancelled."), "success")
    return redirect_after_post(url_for("appointments.index"))


@bp.get("/appointments/<int:appointment_id>/calendar.ics")
@patient_page
def calendar(appointment_id: int):
    """The appointment as a calendar file to add to a phone's or computer's calendar."""
    patient = patient_for(Permission.APPOINTMENTS)
    appointment = own_appointment(patient, appointment_id)
    response = Response(notify.calendar_file(appointment), mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.id}.ics"')
    # Like every download of the record: says who sees whom and when; never cached.
    response.headers["Cache-Control"] = "no-store"
    return viewed(response, patient, "appointment-calendar-downloaded",
                  f"appointment:{appointment_id}")
