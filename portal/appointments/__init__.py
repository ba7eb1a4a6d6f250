"""Appointments, check-in, forms and referrals."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)

from portal.appointments import (  # noqa: E402,F401
    checkin,
    dashboard,
    models,
    routes,
    routes_change,
    routes_staff,
    routes_staff_patients,
    routes_staff_setup,
)

# What the area's templates use, registered here only.
bp.add_app_template_global(checkin.changes, "check_in_changes")
bp.add_app_template_global(checkin.flagged_coming, "check_in_flags")
