"""Messages with the care team, and repeat prescriptions."""

from flask import Blueprint

bp = Blueprint("messages", __name__)


from portal.messages import (  # noqa: E402,F401
    dashboard,
    models,
    routes,
    routes_prescriptions,
    routes_staff,
    routes_staff_teams,
    text,
    unread,
)

# What the area's templates use, registered here only.
bp.add_app_template_filter(text.message_html, "message_text")
bp.add_app_template_global(unread.unread_count, "unread_count")
bp.add_app_template_global(routes_prescriptions.repeat_prescriptions_offered,
                           "repeat_prescriptions_offered")
