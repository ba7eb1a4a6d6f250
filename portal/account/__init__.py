"""The signed-in person's own account: details, language, security."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portal.account import models, routes, routes_email, routes_security  # noqa: E402,F401
