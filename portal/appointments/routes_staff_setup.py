"""Setting up the appointment book: practitioners, places, open slots and closed days."""

from datetime import timedelta

from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.appointments import bp, services, setup
from portal.appointments.forms import (
    ClosedDayForm,
    LocationForm,
    PractitionerForm,
    SeriesForm,
    SlotForm,
)
from portal.appointments.routes_staff import staff_page
from portal.i18n import in_language
from portal.rendering import redirect_after_post, render
from portal.types import utcnow


def _places_page(status: int = 200, **forms):
    return render("appointments/staff_places.html", status=status,
                  practitioners=setup.practitioners(), locations=setup.locations(),
                  practitioner_form=forms.get("practitioner_form") or PractitionerForm(),
                  location_form=forms.get("location_form") or LocationForm())


@bp.get("/staff/appointments/places")
@staff_page
def staff_places():
    """Practitioners and places, each with a form to add one."""
    return _places_page()


@bp.post("/staff/appointments/practitioners")
@staff_page
def staff_add_practitioner():
    """Add a practitioner patients can be booked with."""
    form = PractitionerForm()
    if not form.validate_on_submit():
        return _places_page(422, practitioner_form=form)
    setup.add_practitioner(form.name.data)
    flash(_("The practitioner is added."), "success")
    return redirect_after_post(url_for("appointments.staff_places"))


@bp.post("/staff/appointments/locations")
@staff_page
def staff_add_location():
    """Add a place where appointments take place."""
    form = LocationForm()
    if not form.validate_on_submit():
        return _places_page(422, location_form=form)
    setup.add_location(form.name.data, form.address.data or "")
    flash(_("The place is added."), "success")
    return redirect_after_post(url_for("appointments.staff_places"))


def _with_choices(form):
    form.practitioner.choices = [(p.id, p.name) for p in setup.practitioners() if p.active]
    form.location.choices = [(p.id, p.name) for p in setup.locations() if p.active]
    form.appointment_type.choices = [(0, _("Any type patients may book online"))] + [
        (k.id, in_language(k.names)) for k in setup.all_types() if k.active]
    return form


def _slots_page(status: int = 200, **forms):
    return render("appointments/staff_slots.html", status=status,
                  slot_form=forms.get("slot_form") or _with_choices(SlotForm()),
                  series_form=forms.get("series_form") or _with_choices(SeriesForm()))


@bp.get("/staff/appointments/slots")
@staff_page
def staff_slots():
    """Forms to open one slot, or a series of slots on chosen weekdays."""
    return _slots_page()


def _opened(count: int):
    flash(ngettext("%(num)d slot is open for booking.", "%(num)d slots are open for booking.",
                   count), "success")
    return redirect_after_post(url_for("appointments.staff_slots"))


@bp.post("/staff/appointments/slots")
@staff_page
def staff_add_slot():
    """Open one slot at a date and time in the clinic's time zone."""
    form = _with_choices(SlotForm())
    valid = form.validate_on_submit()
    if valid and setup.is_closed(form.day.data):
        form.day.errors.append(_("The clinic is closed on that day."))
        valid = False
    if not valid:
        return _slots_page(422, slot_form=form)
    start = services.local_moment(form.day.data, form.start.data)
    count = setup.open_slots([start], form.duration.data, form.practitioner.data,
                             form.location.data, form.appointment_type.data or None)
    return _opened(count)


@bp.post("/staff/appointments/slots/series")
@staff_page
def staff_add_series():
    """Open slots every few minutes between two times on chosen weekdays."""
    form = _with_choices(SeriesForm())
    if not form.validate_on_submit():
        return _slots_page(422, series_form=form)
    closed = {c.day for c in setup.closed_days(form.first_day.data)}
    starts = setup.series_starts(set(form.weekdays.data), form.first_day.data,
                                 form.last_day.data, form.from_time.data, form.to_time.data,
                                 form.every.data, form.every.data, closed)
    if len(starts) > setup.MAX_SERIES:
        form.last_day.errors.append(_("That would open more than %(max)d slots. Choose a "
                                      "shorter period.", max=setup.MAX_SERIES))
        return _slots_page(422, series_form=form)
    count = setup.open_slots(starts, form.every.data, form.practitioner.data,
                             form.location.data, form.appointment_type.data or None)
    return _opened(count)


@bp.route("/staff/appointments/closed-days", methods=["GET", "POST"])
@staff_page
def staff_closed_days():
    """Days the clinic is closed; closing a day removes its free slots."""
    form = ClosedDayForm()
    valid = form.validate_on_submit()
    if valid and setup.is_closed(form.day.data):
        form.day.errors.append(_("That day is already closed."))
    elif valid:
        removed, booked = setup.close_day(form.day.data, form.reason.data or "")
        flash(ngettext("The day is closed; %(num)d free slot was removed.",
                       "The day is closed; %(num)d free slots were removed.", removed),
              "success")
        if booked:
            flash(ngettext("%(num)d appointment is still booked that day: please move it.",
                           "%(num)d appointments are still booked that day: please move them.",
                           booked), "error")
        return redirect_after_post(url_for("appointments.staff_closed_days"))
    today = services.local_day(utcnow())
    return render("appointments/staff_closed_days.html", status=422 if form.errors else 200,
                  form=form, days=setup.closed_days(today - timedelta(days=1)))
