"""The clinic's appointment book: the day view and the appointment types."""

from datetime import date, timedelta

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import STAFF_PERMISSIONS, Permission, refuse
from portal.appointments import bp, services, setup
from portal.appointments.forms import BookSettingsForm, TypeForm
from portal.appointments.models import AppointmentType
from portal.clinic import current_clinic
from portal.extensions import db
from portal.pipeline import STAFF, area_view, audit_target, shown
from portal.rendering import redirect_after_post, render
from portal.types import utcnow

#: Staff who run the appointment book.
BOOK_ROLES = ("front_desk", "clinician", "admin")


def staff_page(view=None, *, audit=None, target=None, permission=None):
    """Staff who run the appointment book, with the area switched on (`area_view`)."""
    decorator = area_view(side=STAFF, roles=BOOK_ROLES, feature="appointments", audit=audit,
                          target=target, permission=permission)
    return decorator(view) if view is not None else decorator


@bp.get("/staff/appointments")
@area_view(side=STAFF, roles=BOOK_ROLES, feature="appointments",
           audit=audit.Action.APPOINTMENTS_DAY_VIEWED)
def staff_day():
    """One day of the appointment book: every slot, free or with its patient, and what
    each patient said at check-in."""
    try:
        day = date.fromisoformat(request.args.get("day", ""))
        if not date.min < day < date.max:  # the day before and after are linked
            raise ValueError(day)
    except ValueError:
        day = services.local_day(utcnow())
    schedule = setup.day_schedule(day)
    # Each patient on the day gets the audit line: the page shows their check-in answers.
    shown(appointment.patient_id for _slot, appointment in schedule if appointment)
    audit_target(f"day:{day.isoformat()}")
    # What patients wrote about medicines and allergies is health data: only staff who
    # may read records see the words; everyone sees the flag.
    shows_clinical = Permission.VIEW_RECORD in STAFF_PERMISSIONS.get(current_user.role, ())
    return render("appointments/staff_day.html", day=day, shows_clinical=shows_clinical,
                  schedule=schedule, closed=setup.is_closed(day),
                  previous=day - timedelta(days=1), following=day + timedelta(days=1))


def _type_values(form: TypeForm) -> dict:
    names = {code: getattr(form, f"name_{code}").data.strip()
             for code in ("en", "nl", "pl") if (getattr(form, f"name_{code}").data or "").strip()}
    return dict(names=names, duration_minutes=form.duration_minutes.data,
                cancel_cutoff_hours=form.cancel_cutoff_hours.data,
                bookable_online=form.bookable_online.data, active=form.active.data)


def _types_page(form=None, settings_form=None):
    clinic = current_clinic()
    settings_form = settings_form or BookSettingsForm(reminder_hours=clinic.reminder_hours,
                                                      check_in_days=clinic.check_in_days)
    form = form or TypeForm(formdata=None)
    status = 422 if form.errors or settings_form.errors else 200
    return render("appointments/staff_types.html", status=status, types=setup.all_types(),
                  form=form, settings_form=settings_form)


@bp.route("/staff/appointments/types", methods=["GET", "POST"])
@staff_page
def staff_types():
    """The kinds of appointment, a form to add one, and the reminder and check-in timing."""
    form = TypeForm()
    if form.validate_on_submit():
        setup.save_type(None, _type_values(form))
        flash(_("The appointment type is added."), "success")
        return redirect_after_post(url_for("appointments.staff_types"))
    return _types_page(form=form)


@bp.post("/staff/appointments/settings")
@area_view(side=STAFF, roles=("admin",), feature="appointments")
def staff_settings():
    """Change when reminders go out and when check-in opens (administrators)."""
    form = BookSettingsForm()
    if not form.validate_on_submit():
        return _types_page(settings_form=form)
    setup.save_settings(form.reminder_hours.data, form.check_in_days.data)
    flash(_("The settings are saved."), "success")
    return redirect_after_post(url_for("appointments.staff_types"))


@bp.route("/staff/appointments/types/<int:type_id>", methods=["GET", "POST"])
@staff_page
def staff_type(type_id: int):
    """Change an appointment type: its names, length, cut-off and online booking."""
    kind = db.session.get(AppointmentType, type_id)
    if kind is None:
        refuse(Permission.APPOINTMENTS, target=f"appointment-type:{type_id}")
    names = kind.names or {}
    form = TypeForm(obj=kind, name_en=names.get("en"), name_nl=names.get("nl"),
                    name_pl=names.get("pl"))
    if form.validate_on_submit():
        setup.save_type(kind, _type_values(form))
        flash(_("The appointment type is saved."), "success")
        return redirect_after_post(url_for("appointments.staff_types"))
    return render("appointments/staff_type.html", status=422 if form.errors else 200,
                  kind=kind, form=form)
