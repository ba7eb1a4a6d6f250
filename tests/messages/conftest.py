"""Teams, staff and threads for the messaging tests."""

from __future__ import annotations

import pytest

from portal.extensions import db as _db
from portal.messages.models import Team, TeamMember
from portal.models import ClinicSettings
from tests.conftest import make_user

#: Open every hour of every day, so that no automatic answer gets in the way of a test.
ALWAYS_OPEN = {str(day): [["00:00", "24:00"]] for day in range(7)}


@pytest.fixture
def clinic(clinic) -> ClinicSettings:
    """The test clinic, open around the clock, with two pharmacies."""
    clinic.opening_hours = ALWAYS_OPEN
    clinic.pharmacies = ["Apotheek Noord", "Apotheek Zuid"]
    _db.session.commit()
    return clinic


def make_team(name: str, topic: str, *members) -> Team:
    team = Team(names={"en": name, "nl": f"{name} (nl)", "pl": f"{name} (pl)"},
                topics={"en": topic, "nl": f"{topic} (nl)", "pl": f"{topic} (pl)"},
                position=1, active=True)
    _db.session.add(team)
    _db.session.flush()
    _db.session.add_all(TeamMember(team_id=team.id, user_id=user.id) for user in members)
    _db.session.commit()
    return team


@pytest.fixture
def doctor(clinic):
    return make_user(role="clinician", display_name="Dr Vos")


@pytest.fixture
def desk(clinic):
    return make_user(role="front_desk", display_name="Ada Desk")


@pytest.fixture
def teams(doctor, desk):
    """Doctors (Dr Vos) and Front desk (Ada Desk)."""
    return {"doctors": make_team("Doctors", "A question for my doctor", doctor),
            "desk": make_team("Front desk", "Appointments and letters", desk)}
