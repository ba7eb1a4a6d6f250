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

# What the area's templates use, registered here only.
bp.add_app_template_global(display.new_forms_of, "new_forms_of")
bp.add_app_template_global(routes_staff.builds_forms, "builds_forms")
bp.add_app_template_filter(display.form_text, "form_text")
bp.add_app_template_filter(display.response_status, "response_status")
bp.add_app_template_filter(display.form_status, "form_status")
bp.add_app_template_filter(display.question_kind, "question_kind")
bp.add_app_template_filter(display.answer_text, "answer_text")
