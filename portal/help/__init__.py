"""Public pages: home, help with signing in, questions, accessibility, privacy."""

from flask import Blueprint

bp = Blueprint("help", __name__)

from portal.help import routes  # noqa: E402,F401
