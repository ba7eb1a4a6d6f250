"""Every form fuzzed with hypothesis: never a 500, nothing half-saved.

The POST routes come from the app's url_map. Each is fuzzed as the visitor who uses it
(staff pages as the admin, public pages as a visitor, the rest as a patient), with the
fields of its form as the pages show it: every page the visitor can GET is read and its
forms collected. A route whose form only shows in a state the demo is not in (an unlock
button for an account that is not locked) is fuzzed with GENERIC_FIELDS instead.

Each submission must not fail with 5xx. A refused one (4xx: the project answers 422 to
a form with errors) must leave every table as it was, but for the audit trail and the
session. An accepted one must store nothing PostgreSQL would refuse (NUL, more than the
column holds) and nothing cut short: what was stored equals what was sent, trimmed.
Throughout, the audit lines that were there stay as they were.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from portal.extensions import limiter
from tests.conftest import post_form
from tests.quality.crawl import VISITORS, crawlable, sign_in
from tests.security import fuzzing
from tests.security.forms import Field, Form, forms_on
from tests.security.targets import (
    OWN_PATIENT,
    all_rules,
    build,
    changed_tables,
    is_staff_route,
    row_counts,
    token_of,
    visit_of,
)
from tests.security.test_audit_trail import audit_lines
from tests.security.test_authorization import PUBLIC

#: Routes not fuzzed, and why.
NOT_FUZZED: dict[str, str] = {
    "auth.sign_out": "no fields; it ends the session the rest of the run needs "
                     "(tests/auth covers it)",
}

#: Steps of signing in, fuzzed by a visitor who has given the admin's password and is
#: asked for the code.
SIGN_IN_STEPS = ("auth.second_factor", "auth.second_factor_resend", "auth.recovery_sign_in")

#: Forms no page shows, and what their caller sends.
CALLERS_FIELDS: dict[str, list[Field]] = {
    "billing.webhook": [Field("id", "text")],  # Mollie posts the payment's id
}

#: Fields tried on a route whose form the demo's pages do not show.
GENERIC_FIELDS = [Field(name, "text") for name in (
    "reason", "note", "code", "confirm", "by_letter", "identity_checked", "instalments",
    "patient_id", "decision", "next", "amount", "email")]


def visitor_for(rule) -> str:
    if is_staff_route(rule):
        return "admin"
    if rule.endpoint in PUBLIC or rule.endpoint in SIGN_IN_STEPS:
        return "anonymous"
    return "patient"


def post_routes(app, visitor: str, own) -> list[tuple]:
    """(rule, path) of every POST route `visitor` fuzzes; building the paths first makes
    the things they name, so that the pages read next show their forms."""
    return [(rule, build(rule, {"*": own})) for rule in all_rules(app)
            if "POST" in rule.methods and rule.endpoint not in NOT_FUZZED
            and visitor_for(rule) == visitor]


def forms_by_action(app, client, own) -> dict[str, Form]:
    """Every POST form on every page the client can GET, by the path it posts to (the
    fullest one when several pages hold a form for the same path)."""
    found: dict[str, Form] = {}
    for rule in crawlable(app):
        path = build(rule, {"*": own})
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in forms_on(response.get_data(as_text=True), path):
            known = found.get(form.action)
            if form.method == "post" and (known is None or len(form.fields) > len(known.fields)):
                found[form.action] = form
    return found


def own_page_form(client, path: str) -> Form | None:
    """The form on the page at `path` itself, for a page only a step shows (the code step
    of signing in, asked for after the password)."""
    response = client.get(path)
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    return next((form for form in forms_on(response.get_data(as_text=True), path)
                 if form.method == "post" and form.action == path), None)


def begin_sign_in_as_admin(client) -> None:
    """Give the admin's password, so that the code step is what comes next.

    Hostile codes count towards the lockout like wrong passwords (ASVS 6.3.1), so the
    count starts from nothing for each route: the fuzzer tests the form, not the lock.
    """
    from sqlalchemy import update

    from portal.extensions import db
    from portal.models import User

    db.session.execute(update(User).where(User.username == VISITORS["admin"])
                       .values(failed_sign_ins=0, locked_until=None))
    db.session.commit()
    response = post_form(client, "/sign-in", {"identifier": VISITORS["admin"],
                                              "password": "demo-portal-2026"})
    assert response.status_code == 303, response.status


def still_signed_in(client, visitor: str) -> None:
    """Sign in again when a fuzzed form ended the session (a new password, say)."""
    if visitor == "anonymous":
        return
    if client.get("/account/").status_code != 200:
        sign_in(client, VISITORS[visitor])


#: Forms that keep what was right while they refuse the rest, with why: their submission
#: key is stored with what they kept, so a repeat does not save it twice.
KEEP_WHAT_IS_RIGHT = {
    "questionnaires.save": "save and resume: right answers are kept, wrong ones marked",
}


def fuzz(client, path: str, form: Form, visitor: str, keeps: bool = False) -> dict:
    """Submit `form` at `path` with hypothesis's inputs; raise on the first bad answer.
    Returns how many answers of each status there were, and how many long values were
    found stored as sent."""
    token = token_of(client, "/sign-in" if visitor == "anonymous" else "/account/")
    statuses: dict = {"matched": 0}

    @fuzzing.FUZZ_SETTINGS
    @given(payload=fuzzing.payloads(form), htmx=st.booleans())
    def submit(payload, htmx):
        before = row_counts()
        with fuzzing.recording_writes() as writes:
            response = fuzzing.post(client, path, form, payload, token, htmx)
        note(f"POST {path} -> {response.status}")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"POST {path}: {response.status}"
        problems = fuzzing.storage_problems(writes, payload)
        statuses["matched"] += writes.matched
        if 400 <= response.status_code < 500:
            changes = changed_tables(before, row_counts())
            if keeps:
                changes = {table: n for table, n in changes.items()
                           if table != "form_submissions"}
            if changes:
                problems.append(f"refused ({response.status}) but rows changed: {changes}")
        assert not problems, f"POST {path}: " + "; ".join(problems)

    submit()
    return statuses


@pytest.mark.parametrize("visitor", ["anonymous", "patient", "admin"])
def test_every_form_survives_hostile_input(app, client, demo, db, visitor, monkeypatch):
    # Hostile codes and passwords count towards the lockout (ASVS 6.3.1), whose lock and
    # mail have tests of their own: here the forms are under test, not the lock.
    monkeypatch.setitem(app.config, "LOCKOUT_THRESHOLD", 10**6)
    own = visit_of(OWN_PATIENT, visitor)
    if VISITORS[visitor]:
        sign_in(client, VISITORS[visitor])
    routes = post_routes(app, visitor, own)
    forms = forms_by_action(app, client, own)
    audit_before = audit_lines(db)
    failures, from_pages, accepted, matched = [], 0, 0, 0
    for rule, path in routes:
        limiter.reset()  # each route starts with the rate limits' full allowance
        if rule.endpoint in SIGN_IN_STEPS:
            begin_sign_in_as_admin(client)
        still_signed_in(client, visitor)
        form = forms.get(path) or own_page_form(client, path)
        if rule.endpoint in CALLERS_FIELDS:
            form = Form(path, "post", fields={f.name: f for f in CALLERS_FIELDS[rule.endpoint]})
        elif form is None:
            form = Form(path, "post", fields={f.name: f for f in GENERIC_FIELDS})
        else:
            from_pages += 1
        try:
            statuses = fuzz(client, path, form, visitor,
                            keeps=rule.endpoint in KEEP_WHAT_IS_RIGHT)
        except Exception as error:  # noqa: BLE001 - report every route, not only the first
            example = "\n".join(getattr(error, "__notes__", []))  # hypothesis's example
            failures.append(f"{rule.endpoint}: {error}\n{example}"[:3000])
            continue
        matched += statuses.pop("matched")
        accepted += sum(n for status, n in statuses.items() if status < 400)
    assert not failures, "\n\n".join(failures)
    after = audit_lines(db)
    assert all(after.get(i) == line for i, line in audit_before.items())
    # Guards the fuzzer: most forms came from the pages, many submissions were accepted,
    # and long values were found stored as sent (so the comparison is not vacuous).
    assert routes and from_pages >= len(routes) // 2, (from_pages, len(routes))
    assert accepted >= len(routes), accepted
    if visitor != "anonymous":
        assert matched >= 5, matched
