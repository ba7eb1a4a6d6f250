"""Creating and changing the clinic's settings (used by `flask portal init-clinic` and the demo)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import FEATURES, ClinicSettings

DEFAULT_HOURS = {str(day): [["08:00", "17:00"]] for day in range(5)}


def save_clinic(**values) -> ClinicSettings:
    """Create the clinic's settings row, or update the given fields of the existing one."""
    clinic = db.session.scalar(select(ClinicSettings).limit(1))
    if clinic is None:
        clinic = ClinicSettings(
            name="", phone="", email="", address="", emergency_number="112",
            opening_hours=DEFAULT_HOURS, timezone="Europe/Amsterdam", default_locale="en",
            reply_days=2, patient_categories=["gp"],
            features={name: True for name in FEATURES}, currency="EUR",
        )
        db.session.add(clinic)
    for key, value in values.items():
        if value is not None:
            setattr(clinic, key, value)
    db.session.commit()
    return clinic
