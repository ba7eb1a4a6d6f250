"""Appointments, check-in, forms and referrals."""

from flask import Blueprint

bp = Blueprint("appointments", __name__)

from portal.appointments import (  # noqa: E402,F401
    dashboard,
    models,
    routes,
    routes_change,
    routes_patients,
    routes_setup,
    routes_staff,
)
