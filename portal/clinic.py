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


