"""Billing pages run as many queries for a long account as for a short one."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user
from tests.quality.crawl import Visit, crawlable, fetch, sign_in, url_for_rule
from tests.quality.seeders import billing_account


def _billing_counts(app, role: str, n: int) -> dict[str, tuple[int, int, int]]:
    user = make_user(role="patient", locale="en")
    billing_account(user.patient, user, n)
    client = app.test_client()
    visitor = user if role == "patient" else make_user(role=role)
    sign_in(client, visitor.username, PASSWORD)
    visit = Visit(role=role, lang="en", user=visitor, patient=user.patient)
    counts = {}
    for rule in crawlable(app):
        if "billing" not in rule.rule:
            continue
        result = fetch(client, rule, url_for_rule(rule, visit), "en")
        assert not result.problems, result.problems
        counts[rule.rule] = (result.queries, result.status, result.gzip_bytes // 1000)
    return counts


@pytest.mark.parametrize("role", ["patient", "billing"])
def test_billing_pages_do_not_grow_with_the_account(app, billing_clinic, role):
    few, many = _billing_counts(app, role, 3), _billing_counts(app, role, 300)
    assert {r: c[:2] for r, c in few.items()} == {r: c[:2] for r, c in many.items()}
    assert any(status == 200 for _, status, _ in many.values())
    print(role, {rule: queries for rule, (queries, _, _) in many.items()})
