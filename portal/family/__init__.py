"""Family and proxy access: acting for a child or dependant with the access the clinic approved."""

from flask import Blueprint

bp = Blueprint("family", __name__)

from portal.family import models, routes  # noqa: E402,F401

# What the area's templates use, registered here only.
bp.add_app_template_global(routes.acting_bar, "acting_bar")
bp.add_app_template_global(routes.proxy_for, "proxy_for")
bp.app_context_processor(routes.family_labels)
