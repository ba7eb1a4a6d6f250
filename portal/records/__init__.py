"""The patient's health record and the dashboard."""

from flask import Blueprint

bp = Blueprint("records", __name__)

from portal.records import routes  # noqa: E402,F401
