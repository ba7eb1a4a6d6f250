"""Appointments, check-in, forms and referrals."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)

from portal.appointments import (  # noqa: E402,F401
    checkin,
    dashboard,
    models,
    routes,
    routes_change,
    routes_patients,
    routes_setup,
    routes_staff,
)


@bp.app_template_global()
def check_in_changes(appointment) -> list[tuple[str, str]]:
    """What the patient said has changed at check-in: (topic, what they wrote)."""
    return checkin.changes(appointment)


@bp.app_template_global()
def check_in_flags(patient) -> list:
    """The patient's coming appointments whose check-in changed medicines or allergies."""
    from portal.types import utcnow

    return checkin.flagged_for(patient.id, utcnow())
