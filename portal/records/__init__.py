"""The patient's health record and the dashboard."""

from flask import Blueprint

bp = Blueprint("records", __name__)

from portal.records import (  # noqa: E402,F401
    export,
    models,
    routes,
    routes_activity,
    routes_documents,
    routes_export,
    routes_staff,
    routes_staff_confidential,
    services,
)

# What the area's templates use, registered here only (the functions live beside their rules).
bp.add_app_template_filter(services.display_value, "result_value")
bp.add_app_template_filter(services.reference_range, "usual_range")
bp.add_app_template_global(services.links_by_id, "links_by_id")
bp.add_app_template_filter(services.display_unit, "unit")
bp.add_app_template_filter(services.dosage_text, "dosage")
bp.add_app_template_filter(export.period_words, "period_words")
bp.add_app_template_filter(export.condition_status, "condition_status")
bp.add_app_template_global(routes.record_args, "record_args")
bp.add_app_template_global(routes.record_url, "record_url")
bp.add_app_template_global(routes_staff.may_view_record, "may_view_record")
bp.add_app_template_global(routes_staff.may_for, "may_for")
