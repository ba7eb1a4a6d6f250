"""Getting in: sign-in and sign-out (activation, second factor and recovery build on this)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import models, routes  # noqa: E402,F401
