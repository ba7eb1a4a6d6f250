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


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_opening_hours(text: str) -> dict:
    """Read opening hours written as "mon-fri 08:00-12:00,13:00-17:00; sat 09:00-12:00".

    Days not named are closed; "" means closed every day. Raises ValueError with what is
    wrong, for the command line to show.
    """
    hours: dict[str, list[list[str]]] = {}
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        days, _, periods = part.partition(" ")
        first, _, last = days.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"unknown day in {part!r}: use {', '.join(DAYS)}")
        span = range(DAYS.index(first), DAYS.index(last or first) + 1)
        if not span:
            raise ValueError(f"{days!r}: the first day must come before the last")
        for period in filter(None, (p.strip() for p in periods.split(","))):
            start, _, end = period.partition("-")
            if not (_is_clock(start) and _is_clock(end) and start < end):
                raise ValueError(f"{period!r}: write a period as 08:00-17:00")
            for day in span:
                hours.setdefault(str(day), []).append([start, end])
    return hours


def _is_clock(text: str) -> bool:
    hour, _, minute = text.partition(":")
    return (len(text) == 5 and hour.isdigit() and minute.isdigit()
            and (0 <= int(hour) < 24 or text == "24:00") and 0 <= int(minute) < 60)
