"""The query-growth gate: a page runs as many queries for a long record as for a short one.

Two patients get every kind of item the seeders know (tests/quality/seeders.py): one 5
of each, one 500. Every GET route is then crawled for each of them, by the patient, by
a guardian acting for them and by staff looking at that patient, and the query counts
must be equal route by route.
"""

import pytest

from tests.conftest import PASSWORD, make_user
from tests.quality.crawl import Visit, crawl, sign_in
from tests.quality.seeders import SEEDERS, seed_items

FEW, MANY = 5, 500


def _queries_per_route(app, role: str, patient, user) -> dict[str, tuple[int, int]]:
    """Crawl every route for `patient` as `role`; route -> (queries, status).

    Each crawl signs in a new account, so that both start from the same state (the first
    visit to a page may store something, such as the chosen language).
    """
    client = app.test_client()
    visitor = {"patient": user, "proxy": _parent_of(patient)}.get(role) or make_user(role=role)
    sign_in(client, visitor.username, PASSWORD)
    visit = Visit(role=role, lang="en", user=visitor, patient=patient)
    results = crawl(app, client, visit)
    problems = [problem for result in results for problem in result.problems]
    assert not problems, "\n".join(problems)
    return {result.rule: (result.queries, result.status) for result in results}


def _parent_of(patient):
    """A parent with no record of her own who acts for `patient` with every right."""
    from datetime import date

    from portal.extensions import db
    from portal.family.models import ProxyGrant

    parent = make_user(display_name="Parent of the patient")
    parent.patient = None
    db.session.add(ProxyGrant(grantee_user_id=parent.id, patient_id=patient.id,
                              permissions=["records", "messages", "appointments", "billing",
                                           "account"], relationship_kind="guardian",
                              starts_on=date(2000, 1, 1), reason="test"))
    db.session.commit()
    return parent


@pytest.mark.parametrize("role", ["patient", "proxy", "admin"])
def test_queries_do_not_grow_with_the_record(app, demo, role):
    assert SEEDERS, "no item seeders registered"
    counts = {}
    for n in (FEW, MANY):
        user = make_user(role="patient", locale="en")
        seed_items(user.patient, user, n)
        counts[n] = _queries_per_route(app, role, user.patient, user)
    assert counts[FEW].keys() == counts[MANY].keys()
    grown = [f"{route}: {counts[FEW][route]} (queries, status) with {FEW} items of each "
             f"kind, {counts[MANY][route]} with {MANY}"
             for route in counts[FEW] if counts[FEW][route] != counts[MANY][route]]
    assert not grown, f"as {role}, query counts grow with the record:\n" + "\n".join(grown)
    assert any(status == 200 for _, status in counts[MANY].values())
