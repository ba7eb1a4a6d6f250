"""The appointment pages run as many queries for a long history as for a short one.

The quality gate checks every page this way; this narrower check keeps the appointments
pages' own promise visible in this folder (and quick to run).
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user
from tests.quality.crawl import Visit, crawlable, fetch, sign_in, url_for_rule
from tests.quality.seeders import appointments_and_referrals

FEW, MANY = 3, 300


def _counts(app, role: str, n: int) -> dict[str, tuple[int, int]]:
    user = make_user(role="patient", locale="en")
    appointments_and_referrals(user.patient, user, n)
    client = app.test_client()
    visitor = user if role == "patient" else make_user(role=role)
    sign_in(client, visitor.username, PASSWORD)
    visit = Visit(role=role, lang="en", user=visitor, patient=user.patient)
    results = [fetch(client, rule, url_for_rule(rule, visit), "en") for rule in crawlable(app)
               if rule.endpoint.startswith("appointments.")]
    problems = [p for result in results for p in result.problems]
    assert not problems, problems
    return {result.rule: (result.queries, result.status) for result in results}


@pytest.mark.parametrize("role", ["patient", "front_desk"])
def test_appointment_pages_do_not_grow_with_the_history(app, demo, role):
    few, many = _counts(app, role, FEW), _counts(app, role, MANY)
    assert few == many
    assert sum(status == 200 for _, status in many.values()) >= 6
