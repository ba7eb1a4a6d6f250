"""Forms the clinic builds and patients fill in (before a visit, or on request)."""

from flask import Blueprint

bp = Blueprint("questionnaires", __name__)

from portal.questionnaires import (  # noqa: E402,F401
    dashboard,
    display,
    models,
    routes,
    routes_staff,
    routes_staff_patients,
    routes_staff_questions,
)
