"""The patient's health record and the dashboard."""

from flask import Blueprint

bp = Blueprint("records", __name__)

from portal.records import (  # noqa: E402,F401
    models,
    routes,
    routes_activity,
    routes_confidential,
    routes_documents,
    routes_export,
    routes_staff,
)
