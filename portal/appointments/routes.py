"""The patient's appointments: the lists, booking, one appointment, cancelling, calendar file."""

from datetime import date, timedelta

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.appointments import bp, checkin, notify, services
from portal.appointments.forms import BookForm, ConfirmForm
from portal.audit import Action
from portal.i18n import in_language
from portal.paging import page_number
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int
from portal.types import utcnow


def appointments_view(audit: Action | None = None, target: str | None = None):
    """A patient's appointments page (the area switched on, the appointments permission)."""
    return area_view(feature="appointments", permission=Permission.APPOINTMENTS, audit=audit,
                     target=target)


def patient_user():
    """The signed-in person (the patient, or later someone acting for them)."""
    return current_user._get_current_object()


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
@appointments_view(Action.APPOINTMENTS_VIEWED, "upcoming")
def index(patient):
    """The patient's coming appointments, with what they can do next."""
    now = utcnow()
    return render("appointments/index.html", "list", patient=patient, now=now,
                  appointments=services.upcoming_page(patient, now, page_number()))


@bp.get("/appointments/past")
@appointments_view(Action.APPOINTMENTS_VIEWED, "past")
def past(patient):
    """Past and cancelled appointments, newest first."""
    now = utcnow()
    return render("appointments/past.html", "list", patient=patient, now=now,
                  appointments=services.past_page(patient, now, page_number()))


def _book_page(patient, kind, status: int = 200, message: str | None = None):
    now = utcnow()
    context = calendar_context(kind, now) if kind else {}
    return render("appointments/book.html", "slots", status=status, patient=patient,
                  types=services.online_types(), kind=kind, message=message, **context)


@bp.get("/appointments/book")
@appointments_view(Action.APPOINTMENTS_VIEWED, "book")
def book(patient):
    """Choose the kind of appointment, then a free time from a few days at a time."""
    kind = services.find_online_type(request.args.get("type", type=bounded_int))
    return _book_page(patient, kind)


def _confirm_page(patient, slot, form, status: int = 200):
    return render("appointments/confirm.html", status=status, patient=patient, slot=slot,
                  form=form)


@bp.route("/appointments/book/<int:slot_id>", methods=["GET", "POST"])
@appointments_view(Action.APPOINTMENTS_VIEWED, "confirm:{slot_id}")
def confirm(patient, slot_id: int):
    """Confirm the chosen time with the reason for the visit, and book it."""
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
                                    patient_user(), tell=notify.queue_confirmation)
    except services.SlotTaken:
        return _book_page(patient, chosen, 409, _("Sorry, someone else has just booked that "
                                                  "time. Please choose another time."))
    flash(_("Your appointment is booked. We have sent you an e-mail."), "success")
    return redirect_after_post(url_for("appointments.detail", appointment_id=appointment.id))


@bp.get("/appointments/<int:appointment_id>")
@appointments_view(Action.APPOINTMENT_VIEWED, "appointment:{appointment_id}")
def detail(patient, appointment_id: int):
    """One appointment: when, where, with whom, and what can still be done."""
    appointment = find_or_refuse(services.find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
    now = utcnow()
    return render("appointments/detail.html", patient=patient, appointment=appointment,
                  now=now, form=ConfirmForm(),
                  may_change=services.may_change(appointment, now),
                  deadline=services.change_deadline(appointment),
                  may_check_in=checkin.may_check_in(appointment, now),
                  check_in_opens=checkin.opens_at(appointment))


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@appointments_view(Action.APPOINTMENT_VIEWED, "cancel:{appointment_id}")
def cancel(patient, appointment_id: int):
    """Ask once whether to cancel; on yes, cancel until the cut-off, freeing the time."""
    appointment = find_or_refuse(services.find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
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
        services.cancel(appointment, patient_user(), now, tell=notify.queue_cancellation)
    except services.TooLate:
        flash(_("It is too late to cancel this appointment in the portal. Please call the "
                "clinic."), "error")
        return redirect_after_post(here)
    flash(_("Your appointment is cancelled."), "success")
    return redirect_after_post(url_for("appointments.index"))


@bp.get("/appointments/<int:appointment_id>/calendar.ics")
@appointments_view(Action.APPOINTMENT_CALENDAR_DOWNLOADED, "appointment:{appointment_id}")
def calendar(patient, appointment_id: int):
    """The appointment as a calendar file to add to a phone's or computer's calendar."""
    appointment = find_or_refuse(services.find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
    response = Response(notify.calendar_file(appointment), mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.id}.ics"')
    # Like every download of the record: says who sees whom and when; never cached.
    response.headers["Cache-Control"] = "no-store"
    return response
