"""The clinic's console for staff."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from portal.staff import (  # noqa: E402,F401
    routes,
    routes_accounts,
    routes_audit,
    routes_mail,
    routes_settings,
)
