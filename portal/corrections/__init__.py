"""Corrections: a patient asks the clinic to correct their record; staff accept or decline."""

from flask import Blueprint

bp = Blueprint("corrections", __name__)

from portal.corrections import models, routes, routes_staff, services  # noqa: E402,F401

# What the area's templates use, registered here only.
bp.add_app_template_global(services.states_for, "correction_states")
bp.add_app_template_filter(services.original_text, "correction_original")
bp.add_app_template_global(routes.may_ask_correction, "may_ask_correction")
