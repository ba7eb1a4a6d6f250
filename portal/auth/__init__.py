"""Getting in: sign-in, second factor, lockout, sessions, activation and recovery."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import (  # noqa: E402,F401
    models,
    routes,
    routes_activation,
    routes_recovery,
    routes_two_factor,
)
