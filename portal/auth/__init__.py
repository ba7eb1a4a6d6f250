"""Getting in: sign-in, second factor, lockout, sessions, activation and recovery."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import models, routes, routes_two_factor  # noqa: E402,F401
