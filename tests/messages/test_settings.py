"""Clinic settings for messaging: opening hours, the automatic answer, pharmacies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.clinic_setup import parse_opening_hours
from portal.extensions import db
from portal.messages.services import clinic_is_open


def test_opening_hours_are_read_from_plain_words():
    assert parse_opening_hours("mon-wed 08:00-12:00,13:00-17:00; sat 09:00-12:00") == {
        "0": [["08:00", "12:00"], ["13:00", "17:00"]],
        "1": [["08:00", "12:00"], ["13:00", "17:00"]],
        "2": [["08:00", "12:00"], ["13:00", "17:00"]],
        "5": [["09:00", "12:00"]]}
    assert parse_opening_hours("") == {}


@pytest.mark.parametrize("text", ["mon-fry 08:00-17:00", "fri-mon 08:00-17:00",
                                  "mon 17:00-08:00", "mon 8-17", "mon 25:00-26:00"])
def test_wrong_opening_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_opening_hours(text)


def test_init_clinic_sets_hours_auto_reply_and_pharmacies(app, clinic):
    result = app.test_cli_runner().invoke(args=[
        "portal", "init-clinic", "--opening-hours", "mon-fri 08:00-17:00", "--no-auto-reply",
        "--pharmacies", "Apotheek Noord; Apteka Centralna, Gdańsk"])
    assert result.exit_code == 0, result.output
    db.session.refresh(clinic)
    assert clinic.opening_hours["4"] == [["08:00", "17:00"]] and "5" not in clinic.opening_hours
    assert clinic.auto_reply_outside_hours is False
    assert clinic.pharmacies == ["Apotheek Noord", "Apteka Centralna, Gdańsk"]
    bad = app.test_cli_runner().invoke(args=["portal", "init-clinic", "--opening-hours", "x"])
    assert bad.exit_code == 2 and "--opening-hours" in bad.output


@pytest.mark.parametrize("moment,is_open", [
    # Amsterdam is UTC+1 in winter and UTC+2 in summer; open Monday to Friday 08:00-17:00.
    (datetime(2026, 1, 5, 6, 59, tzinfo=UTC), False),   # Monday 07:59 local
    (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), True),     # Monday 08:00 local
    (datetime(2026, 1, 5, 15, 59, tzinfo=UTC), True),   # Monday 16:59 local
    (datetime(2026, 1, 5, 16, 0, tzinfo=UTC), False),   # Monday 17:00 local
    (datetime(2026, 7, 6, 6, 0, tzinfo=UTC), True),     # Monday 08:00 local, summer time
    (datetime(2026, 1, 10, 10, 0, tzinfo=UTC), False),  # Saturday
])
def test_the_clinic_is_open_in_its_own_time_zone(app, clinic, moment, is_open):
    clinic.opening_hours = parse_opening_hours("mon-fri 08:00-17:00")
    db.session.commit()
    assert clinic_is_open(moment) is is_open
