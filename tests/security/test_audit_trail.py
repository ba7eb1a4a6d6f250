"""The audit trail cannot be changed through the app.

Every route, GET and POST (with a valid CSRF token), is asked as the admin, who may do
the most, and as a patient: afterwards every audit line that was there before is still
there, word for word. Underneath, the models refuse to update or delete an audit event,
one by one or in bulk.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from portal.audit import record
from portal.models import AuditEvent, AuditTrailIsAppendOnly
from tests.quality.crawl import VISITORS, sign_in
from tests.security.targets import (
    OWN_PATIENT,
    all_rules,
    build,
    methods,
    send,
    token_of,
    visit_of,
)
from tests.security.test_authorization import ordered


def audit_lines(db) -> dict[int, tuple]:
    """Every audit line as stored: id -> all its columns."""
    table = AuditEvent.__table__
    with db.engine.connect() as conn:
        return {row.id: tuple(row) for row in conn.execute(select(table))}


@pytest.mark.parametrize("role", ["admin", "patient"])
def test_no_route_changes_or_removes_an_audit_line(app, client, demo, db, role):
    own = visit_of(OWN_PATIENT, role)
    sign_in(client, VISITORS[role])
    token = token_of(client)
    before = audit_lines(db)
    assert len(before) >= 5  # demo loading and signing in wrote some
    asked = 0
    for rule in ordered(all_rules(app)):
        path = build(rule, {"*": own})
        for method in methods(rule):
            send(client, method, path, token)
            asked += 1
    after = audit_lines(db)
    gone = sorted(set(before) - set(after))
    changed = {i: (before[i], after[i]) for i in before if i in after and before[i] != after[i]}
    assert not gone and not changed, f"removed: {gone}; changed: {changed}"
    assert len(after) > len(before) and asked > 150


def test_the_models_refuse_to_change_audit_lines_in_bulk(db, clinic):
    line = record("sign-in", outcome="success", commit=True)
    for statement in (update(AuditEvent).values(action="changed"),
                      update(AuditEvent.__table__).values(action="changed"),
                      delete(AuditEvent).where(AuditEvent.id == line.id),
                      delete(AuditEvent.__table__)):
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.get(AuditEvent, line.id).action == "sign-in"


def test_the_bulk_guard_leaves_other_tables_alone(db, clinic):
    from portal.models import ClinicSettings

    db.session.execute(update(ClinicSettings).values(reply_days=3))
    db.session.commit()
    assert db.session.scalar(select(ClinicSettings.reply_days)) == 3
