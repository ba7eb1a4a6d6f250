"""Family and proxy access: acting for a child or dependant with the access the clinic approved."""

from flask import Blueprint

bp = Blueprint("family", __name__)

from portal.family import models, routes  # noqa: E402,F401
