"""Billing: statements, payments and insurance."""

from flask import Blueprint

bp = Blueprint("billing", __name__)

from portal.billing import (  # noqa: E402,F401
    dashboard,
    labels,
    models,
    routes,
    routes_insurance,
    routes_pay,
    routes_staff,
    routes_staff_review,
    routes_staff_settings,
    routes_standin,
    routes_webhook,
)

# What the area's templates use, registered here only.
bp.add_app_template_global(labels.billing_label, "billing_label")
