"""Reading the clinic's settings, once per request."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from portal.extensions import db
from portal.models import ClinicSettings

#: Used only before `flask portal init-clinic` has run, so that pages still render.
FALLBACK = dict(name="Clinic", phone="", email="", address="", emergency_number="112",
                opening_hours={}, timezone="UTC", default_locale="en", reply_days=2,
                patient_categories=[], features={}, currency="EUR")


def current_clinic() -> ClinicSettings:
    """The clinic's settings, loaded at most once per request."""
    if "clinic" not in g:
        clinic = db.session.scalar(select(ClinicSettings).limit(1))
        g.clinic = clinic if clinic is not None else ClinicSettings(**FALLBACK)
    return g.clinic


def feature_required(name: str):
    """Serve the view only when the clinic has switched area `name` on; else 404."""
    from functools import wraps

    from flask import abort

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_clinic().feature_on(name):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator
