"""Messages with the care team, and repeat prescriptions."""

from flask import Blueprint

bp = Blueprint("messages", __name__)


@bp.app_template_filter("message_text")
def _message_text(text):
    """A message's plain text as safe HTML: paragraphs, line breaks, links."""
    from portal.messages.text import message_html

    return message_html(text)


from portal.messages import (  # noqa: E402,F401
    dashboard,
    models,
    routes,
    routes_prescriptions,
    routes_staff,
    routes_teams,
    unread,
)
