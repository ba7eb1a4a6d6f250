"""CSRF on every POST: a form posted without its token is refused, whatever the route."""

import re

import pytest

from tests.conftest import login_as, make_user


def _post_routes(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods})


def _fill(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "1", rule)


def test_there_are_post_routes_to_check(app):
    assert len(_post_routes(app)) >= 20


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "admin"])
def test_every_post_without_a_token_gets_400_and_changes_nothing(app, client, clinic, db,
                                                                  signed_in):
    if signed_in:
        login_as(client, make_user(role="admin"))
    before = _row_counts(db)
    refused = {}
    for rule in _post_routes(app):
        response = client.post(_fill(rule), data={"title": "x", "code": "123456"})
        refused[rule] = response.status_code
    wrong = {rule: status for rule, status in refused.items() if status != 400}
    assert not wrong, wrong
    assert _row_counts(db) == before


def _row_counts(db):
    from sqlalchemy import func, select

    with db.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t))
                for t in db.metadata.sorted_tables}
