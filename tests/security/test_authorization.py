"""The authorization matrix: every route x every kind of visitor x another patient's ids.

DESIGN.md: "another patient's id must give 404 (and an audit entry), never the data."
The project's convention, from portal/access.py: whatever the reason for a refusal (not
your record, not your role, no such thing), a signed-in user gets the same 404 page as
for a missing page, and the refusal is written to the audit trail; a visitor who has not
signed in is sent to sign in (303). Never 403, which would say the thing exists.

Routes come from the app's url_map (see targets.py), so a new route is in the matrix
the day it is added; the lists below are the only exceptions, each with its reason.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.access import STAFF_PERMISSIONS, Permission
from portal.models import STAFF_ROLES, AuditEvent, User
from tests.quality.crawl import VISITORS, choose_language, make_visit, sign_in
from tests.security import targets
from tests.security.targets import (
    OTHER_PATIENT,
    OWN_PATIENT,
    all_rules,
    build,
    changed_tables,
    denied_count,
    is_staff_route,
    methods,
    owned_parameters,
    row_counts,
    send,
    token_of,
    visit_of,
)

#: Routes anyone may use without signing in, and why.
PUBLIC: dict[str, str] = {
    "help.home": "public page",
    "help.accessibility": "public page: the accessibility statement",
    "help.faq": "public page",
    "help.sign_in_help": "public page",
    "help.privacy": "public page: the privacy statement",
    "help.set_language": "the language switch works before signing in",
    "help.using": "public page: how to use the portal, task by task",
    "help.web_app_manifest": "the web app manifest: the clinic's name and icons",
    "billing.standin_checkout": "development only: the payment stand-in (404 elsewhere)",
    "billing.standin_finish": "development only: the payment stand-in (404 elsewhere)",
    "auth.sign_in": "the way in",
    "auth.activate": "activating an account from the invitation letter",
    "auth.activate_account": "activation's second step (sends back to the first without it)",
    "auth.forgot_password": "asking for a reset link",
    "auth.forgot_username": "asking for one's username",
    "auth.reset_password": "the reset link from the e-mail (a signed token)",
    "auth.verify_email": "the verification link from the e-mail (a signed token)",
    "auth.resend_verification": "asking for a new verification link",
    "billing.webhook": "Mollie's server calls it; it trusts nothing sent and asks Mollie",
    "health.healthz": "the load balancer's health check; says only whether the database answers",
}

#: Routes that end the session: requested last, so every other route is still asked
#: by the signed-in user.
ENDS_SESSION = ("auth.sign_out",)

#: What a staff role must hold to use the pages under each path (a role lacking it must
#: be refused), from STAFF_PERMISSIONS and DESIGN.md. A route may further limit itself
#: to some roles with `area_view(side=STAFF, roles=...)`; both are checked.
STAFF_AREA_PERMISSIONS: dict[str, Permission] = {
    "/staff/patients/<int:patient_id>/record": Permission.VIEW_RECORD,
    "/staff/patients/<int:patient_id>/forms": Permission.VIEW_RECORD,
    "/staff/results": Permission.VIEW_RECORD,
    "/staff/prescriptions": Permission.VIEW_RECORD,
    "/staff/billing": Permission.BILLING,
    "/staff/appointments": Permission.APPOINTMENTS,
    "/staff/patients/<int:patient_id>/appointments": Permission.APPOINTMENTS,
    "/staff/patients/<int:patient_id>/referrals": Permission.APPOINTMENTS,
    "/staff/patients/<int:patient_id>/documents": Permission.ADD_DOCUMENTS,
    "/staff/messages": Permission.MESSAGES,
}

NOT_FOUND = "Page not found"


def ordered(rules):
    """Rules in a stable order, those that end the session last."""
    return sorted(rules, key=lambda rule: rule.endpoint in ENDS_SESSION)


def declared_roles(app, rule) -> frozenset[str] | None:
    """The staff roles the rule's `area_view(side=STAFF, roles=...)` lets through; None for
    a view that is not staff-only (the area permission then decides).

    Read from what the decorator recorded on the view, so the test checks the gate against
    what each view declares, without a second list of roles per route.
    """
    spec = getattr(app.view_functions[rule.endpoint], "area_view", None)
    if spec is None or spec.side != "staff":
        return None
    return frozenset(spec.roles or STAFF_ROLES)


def area_permission(rule) -> Permission | None:
    """The permission the area of a staff route needs (the longest matching path)."""
    found = [prefix for prefix in STAFF_AREA_PERMISSIONS
             if rule.rule == prefix or rule.rule.startswith(prefix + "/")]
    return STAFF_AREA_PERMISSIONS[max(found, key=len)] if found else None


def refused_for(app, rule, role: str) -> bool:
    """Whether the access model says `role` must be refused `rule`."""
    if role == "patient":
        return True
    roles = declared_roles(app, rule)
    permission = area_permission(rule)
    return ((roles is not None and role not in roles)
            or (permission is not None and permission not in STAFF_PERMISSIONS[role]))


# -- the gate on the matrix itself ---------------------------------------------------------


def test_every_route_parameter_is_filled_and_every_staff_route_is_gated(app):
    problems = [f"{rule.rule} ({rule.endpoint}): no provider for {', '.join(missing)}; add "
                "one to PARAMETER_PROVIDERS (tests/quality/crawl.py) or, for a POST-only "
                "route, POST_PARAMETER_PROVIDERS (tests/security/targets.py)"
                for rule in all_rules(app) if (missing := targets.unfilled(rule))]
    problems += [f"{rule.rule} ({rule.endpoint}): a staff route with neither "
                 "area_view(side=STAFF, ...) nor an entry in STAFF_AREA_PERMISSIONS"
                 for rule in all_rules(app) if is_staff_route(rule)
                 and declared_roles(app, rule) is None and area_permission(rule) is None]
    problems += [f"PUBLIC names {endpoint}, which is no route"
                 for endpoint in PUBLIC if endpoint not in app.view_functions]
    used = {key for rule in all_rules(app) for name in rule.arguments
            for key in (name, f"{rule.endpoint}:{name}")}
    problems += [f"POST_PARAMETER_PROVIDERS fills {key}, which no route has"
                 for key in targets.POST_PARAMETER_PROVIDERS if key not in used]
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_what_it_should(app):
    """Guards the matrix: it must find the patient's own-id routes and the staff routes."""
    rules = all_rules(app)
    with_ids = {r.endpoint for r in rules if owned_parameters(r) and not is_staff_route(r)}
    assert {"records.result", "records.document", "messages.thread", "messages.attachment",
            "appointments.detail", "appointments.cancel", "billing.statement",
            "billing.insurance_card", "questionnaires.fill", "questionnaires.save",
            "messages.request_repeat", "family.revoke"} <= with_ids
    assert len([r for r in rules if is_staff_route(r)]) >= 60
    assert declared_roles(app, next(r for r in rules if r.endpoint == "staff.accounts")) \
        == frozenset({"admin"})


# -- visitors who have not signed in -------------------------------------------------------


def test_a_visitor_who_has_not_signed_in_is_sent_to_sign_in(app, client, demo):
    own = visit_of(OWN_PATIENT, "anonymous")
    token = token_of(client, "/sign-in")
    problems, checked = [], 0
    for rule in ordered(all_rules(app)):
        path = build(rule, {"*": own})
        for method in methods(rule):
            before = row_counts()
            response = send(client, method, path, token)
            where = f"{method} {path} ({rule.endpoint}): {response.status}"
            if response.status_code >= 500:
                problems.append(f"{where}: server error")
            elif rule.endpoint not in PUBLIC:
                checked += 1
                location = response.headers.get("Location", "")
                if response.status_code != 303 or not location.startswith("/sign-in"):
                    problems.append(f"{where} -> {location!r}, expected 303 to /sign-in")
                if changes := changed_tables(before, row_counts()):
                    problems.append(f"{where}: wrote {changes}")
    assert not problems, "\n".join(problems)
    assert checked >= 150


# -- a patient and another patient's ids ---------------------------------------------------


def variants(rule, own, other):
    """Whose ids to put in each parameter: all the other patient's, and (for a route with
    two) one of theirs with the rest of one's own, e.g. one's own thread with their file."""
    owned = owned_parameters(rule)
    found = [{"*": own, **{name: other for name in owned}}]
    if len(owned) > 1:
        found += [{"*": own, name: other} for name in owned]
    return found


#: Who signs in on the patients' side: the patient, and someone acting for a patient
#: (a parent with no record of her own) when the crawl knows one.
PATIENT_SIDE = [role for role in ("patient", "proxy") if role in VISITORS]


def patient_matrix(app, client, role: str = "patient") -> tuple[list[str], set[str]]:
    """Ask every patient route with ids for the other patient's things, signed in as
    `role`; return what went wrong and which endpoints were asked."""
    own = visit_of(OWN_PATIENT) if role == "patient" else make_visit(role, "en")
    other = visit_of(OTHER_PATIENT)
    account = own.user or own.patient.account
    sign_in(client, VISITORS[role])
    choose_language(client, "en")  # the 404 page is recognised by its English title
    token = token_of(client)
    leaks = (other.patient.full_name, other.patient.patient_number)
    problems, checked = [], set()
    for rule in ordered(all_rules(app)):
        if is_staff_route(rule) or not owned_parameters(rule):
            continue
        for visits in variants(rule, own, other):
            path = build(rule, visits)
            for method in methods(rule):
                denied, before = denied_count(account.id), row_counts()
                response = send(client, method, path, token)
                body = response.get_data(as_text=True)
                where = f"{method} {path} ({rule.endpoint}): {response.status}"
                checked.add(rule.endpoint)
                if response.status_code != 404 or NOT_FOUND not in body:
                    problems.append(f"{where}, expected the 404 page")
                if denied_count(account.id) <= denied:
                    problems.append(f"{where}: no refusal in the audit trail")
                if any(leak in body for leak in leaks):
                    problems.append(f"{where}: shows the other patient's name or number")
                if changes := changed_tables(before, row_counts()):
                    problems.append(f"{where}: wrote {changes}")
    return problems, checked


@pytest.mark.parametrize("role", PATIENT_SIDE)
def test_a_patient_gets_404_and_an_audit_line_for_another_patients_things(app, client, demo,
                                                                         role):
    problems, checked = patient_matrix(app, client, role)
    assert not problems, "\n".join(problems)
    assert len(checked) >= 20, sorted(checked)


def test_the_matrix_catches_a_view_that_forgets_whose_thread_it_is(app, client, demo,
                                                                   monkeypatch):
    """Guards the matrix: a lookup that ignores the patient must be reported."""
    from portal.messages import services

    find_thread = services.find_thread
    monkeypatch.setattr(services, "find_thread", lambda thread_id, patient=None:
                        find_thread(thread_id))
    problems, _ = patient_matrix(app, client)
    assert any("GET /messages/" in p and "expected the 404 page" in p for p in problems)
    assert any("no refusal in the audit trail" in p for p in problems)


def test_the_matrix_catches_a_refusal_left_out_of_the_audit_trail(app, client, demo,
                                                                  monkeypatch):
    from portal import access

    monkeypatch.setattr(access.audit, "record", lambda *args, **kwargs: None)
    problems, _ = patient_matrix(app, client)
    assert sum("no refusal in the audit trail" in p for p in problems) >= 20


# -- staff roles, and patients, on the staff pages ------------------------------------------


@pytest.fixture
def staff_in_every_team(demo, db):
    """Every demo staff member works in every message team, so that only roles decide."""
    from portal.messages.models import Team, TeamMember

    staff = db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))).all()
    have = set(db.session.execute(select(TeamMember.team_id, TeamMember.user_id)).all())
    for team_id in db.session.scalars(select(Team.id)):
        db.session.add_all(TeamMember(team_id=team_id, user_id=user.id)
                           for user in staff if (team_id, user.id) not in have)
    db.session.commit()


@pytest.mark.parametrize("role", ["patient", *STAFF_ROLES])
def test_staff_pages_let_in_exactly_the_roles_that_may_use_them(app, client, role,
                                                                 staff_in_every_team):
    own = visit_of(OWN_PATIENT, role)
    user = own.user or own.patient.account
    sign_in(client, VISITORS[role])
    token = token_of(client)
    problems, refusals = [], 0
    for rule in ordered(all_rules(app)):
        if not is_staff_route(rule):
            continue
        path = build(rule, {"*": own})
        for method in methods(rule):
            denied = denied_count(user.id)
            response = send(client, method, path, token)
            where = f"{method} {path} ({rule.endpoint}) as {role}: {response.status}"
            was_refused = denied_count(user.id) > denied
            if response.status_code >= 500 or response.status_code == 403:
                problems.append(f"{where}: never 403 or 5xx")
            elif refused_for(app, rule, role):
                refusals += 1
                if response.status_code != 404 or not was_refused:
                    problems.append(f"{where}, expected 404 and an audit line")
            elif response.status_code == 404 or was_refused:
                problems.append(f"{where}: refused a role that may use it")
    assert not problems, "\n".join(problems)
    if role in ("patient", "billing"):
        assert refusals >= 30


def test_staff_get_404_for_one_patients_thing_under_another_patients_page(app, client, demo):
    """Staff may open any patient, but a URL naming patient A and B's result (or a thread
    and another thread's file) must not open B's thing, however it is reached."""
    own, other = visit_of(OWN_PATIENT, "admin"), visit_of(OTHER_PATIENT, "admin")
    sign_in(client, VISITORS["admin"])
    token = token_of(client)
    problems, checked = [], 0
    for rule in ordered(all_rules(app)):
        owned = owned_parameters(rule)
        if not is_staff_route(rule) or len(owned) < 2:
            continue
        for name in owned:
            path = build(rule, {"*": own, name: other})
            for method in methods(rule):
                checked += 1
                denied, before = denied_count(own.user.id), row_counts()
                response = send(client, method, path, token)
                where = f"{method} {path} ({rule.endpoint}, {name} of the other patient)"
                if response.status_code != 404:
                    problems.append(f"{where}: {response.status}, expected 404")
                if denied_count(own.user.id) <= denied:
                    problems.append(f"{where}: no refusal in the audit trail")
                if changes := changed_tables(before, row_counts()):
                    problems.append(f"{where}: wrote {changes}")
    assert not problems, "\n".join(problems)
    assert checked >= 10


def test_a_refusal_names_who_asked_and_what(app, client, demo, db):
    """The audit line of a refusal says who tried, what, and from where."""
    own, other = visit_of(OWN_PATIENT), visit_of(OTHER_PATIENT)
    sign_in(client, VISITORS["patient"])
    rule = next(r for r in all_rules(app) if r.endpoint == "records.result"
                and not is_staff_route(r))
    path = build(rule, {"*": own, "item_id": other})
    assert client.get(path, headers={"User-Agent": "Matrix"}).status_code == 404
    line = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")
                              .order_by(AuditEvent.id.desc())).first()
    assert line.actor_id == own.patient.account.id and line.action == "denied:records"
    assert line.target.endswith(path.rsplit("/", 1)[1]) and line.user_agent == "Matrix"
