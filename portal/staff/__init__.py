"""The clinic's console for staff."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.staff import routes, routes_accounts  # noqa: E402,F401
