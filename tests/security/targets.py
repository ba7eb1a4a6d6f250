"""What the security tests request: every route of the app, filled in for a visit.

Routes come from `app.url_map` and URL parameters from the crawl's PARAMETER_PROVIDERS
(tests/quality/crawl.py), so a route added later is checked without anyone listing it
here. The crawl only GETs pages; the few parameters that only POST routes take are
filled by POST_PARAMETER_PROVIDERS below. A parameter nothing fills fails the gate
test, the same way the crawl's route gate does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule

from portal.extensions import db
from portal.models import AuditEvent, Patient, User
from tests.quality import crawl
from tests.quality.crawl import Visit, make_visit

#: The patient who signs in (the crawl's patient) and the other patient whose ids they
#: try: both have a record, messages, appointments, forms, statements and cover.
OWN_PATIENT, OTHER_PATIENT = "P-100001", "P-100006"

#: URL parameters that name something of the clinic's, not of one patient: a patient
#: may use any of them, so they are filled with the visit's own value in the matrix.
SHARED_PARAMETERS: dict[str, str] = {
    "slot_id": "a free slot in the clinic's calendar; any patient may book it",
    "type_id": "an appointment type: clinic-wide settings",
    "team_id": "a message team: clinic-wide settings",
    "questionnaire_id": "a form template: clinic-wide, staff edit it",
    "question_id": "a question of a form template",
    "user_id": "a staff account: the admin's account pages",
    "mail_id": "an e-mail of the outbox: the admin's outgoing mail page",
    "code": "a language code",
    "provider_id": "a payment at the development stand-in of the payment provider (the "
                   "portal checks the patient when the person comes back)",
    "token": "a signed link from an e-mail: tampering is tested in tests/auth",
}


def _grant(visit: Visit, invited_to_visit: bool = False) -> int:
    """A proxy grant of the visit's patient to someone else; or, with `invited_to_visit`,
    an invitation to the visit's account to act for someone else."""
    from portal.family.models import ProxyGrant

    account = visit.patient.account or _stranger()
    if invited_to_visit:
        where = (ProxyGrant.grantee_user_id == account.id, ProxyGrant.status == "invited")
    else:
        where = (ProxyGrant.patient_id == visit.patient.id,)
    found = db.session.scalar(select(ProxyGrant.id).where(*where).limit(1))
    if found:
        return found
    stranger = _stranger()
    grant = ProxyGrant(grantee_user_id=account.id if invited_to_visit else stranger.id,
                       patient_id=stranger.patient_id if invited_to_visit else visit.patient.id,
                       permissions=["records"], relationship_kind="carer",
                       starts_on=date.today() - timedelta(days=1),
                       status="invited" if invited_to_visit else "active",
                       invited_by_patient=True)
    db.session.add(grant)
    db.session.commit()
    return grant.id


def _stranger() -> User:
    """A patient account that neither patient of the matrix has anything to do with."""
    from tests.conftest import make_user

    found = db.session.scalar(select(User).where(User.username == "security-stranger"))
    return found or make_user(username="security-stranger")


def _access_request(visit: Visit) -> int:
    """A request (by the visit's patient) to act for a child, with a document, for staff."""
    from portal.family.models import AccessRequest
    from portal.files import file_of

    account = visit.patient.account or _stranger()
    found = db.session.scalar(select(AccessRequest.id).where(
        AccessRequest.requester_id == account.id).limit(1))
    if found:
        return found
    request = AccessRequest(requester_id=account.id, given_name="Kid", family_name="Test",
                            birth_date=date(2019, 1, 1), relationship_kind="parent",
                            file=file_of(b"%PDF-1.4\n%%EOF\n", "birth.pdf"))
    db.session.add(request)
    db.session.commit()
    return request.id


def _repeat_request(visit: Visit) -> int:
    """The visit's patient's repeat prescription request, made when there is none."""
    from portal.messages.models import RepeatRequest

    found = crawl._repeat_request(visit)
    if found:
        return found
    request = RepeatRequest(patient_id=visit.patient.id, medication="Medicine",
                            pharmacy="Pharmacy")
    db.session.add(request)
    db.session.commit()
    return request.id


def _payment_plan(visit: Visit) -> int:
    """A payment plan asked for one of the visit's patient's statements."""
    from portal.billing.models import PaymentPlan

    found = db.session.scalar(select(PaymentPlan.id).where(
        PaymentPlan.patient_id == visit.patient.id).limit(1))
    if found:
        return found
    plan = PaymentPlan(patient_id=visit.patient.id, instalments=3,
                       statement_id=crawl._billing_item(visit, "statement"))
    db.session.add(plan)
    db.session.commit()
    return plan.id


def _referral(visit: Visit) -> int:
    """The visit's patient's referral, made when there is none."""
    from portal.appointments.models import Referral

    found = db.session.scalar(select(Referral.id).where(
        Referral.patient_id == visit.patient.id).limit(1))
    if found:
        return found
    referral = Referral(patient_id=visit.patient.id, referred_to="Cardiology",
                        reason="Check", referred_on=date.today())
    db.session.add(referral)
    db.session.commit()
    return referral.id


def _staff_account(visit: Visit) -> int:
    """A staff account of its own, so disabling it locks no role of the matrix out."""
    from tests.conftest import make_user

    found = db.session.scalar(select(User.id).where(User.username == "security-desk"))
    return found or make_user(role="front_desk", username="security-desk").id


def _dead_mail(visit: Visit) -> int:
    """An e-mail the sender gave up on, for the admin's "send again" button."""
    from portal.mail.models import DEAD, OutgoingMail

    found = db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.status == DEAD)
                              .limit(1))
    if found:
        return found
    mail = OutgoingMail(message_id=f"<security-{visit.lang}@portal>", from_header="Portal",
                        to_address="nobody@mail.example", subject="Test", body="Test",
                        template="account_locked", status=DEAD, attempts=8)
    db.session.add(mail)
    db.session.commit()
    return mail.id


#: Parameters only POST routes (or routes the crawl fills for another purpose) take.
#: Looked up before the crawl's providers, "endpoint:name" first.
POST_PARAMETER_PROVIDERS: dict[str, Callable[[Visit], object]] = {
    "grant_id": _grant,
    "family.accept:grant_id": lambda visit: _grant(visit, invited_to_visit=True),
    # The crawl fills every request_id with a repeat request; the family area's are
    # requests to act for a child.
    "family.staff_request:request_id": _access_request,
    "family.staff_decide:request_id": _access_request,
    "family.staff_request_document:request_id": _access_request,
    "request_id": _repeat_request,
    "plan_id": _payment_plan,
    "referral_id": _referral,
    "user_id": _staff_account,
    "mail_id": _dead_mail,
    "records.release_result:item_id": lambda visit: crawl._record_item(visit, "observation"),
}


def provider(rule: Rule, name: str) -> Callable[[Visit], object] | None:
    """What fills URL parameter `name` of `rule`: ours for POST-only ones, else the crawl's."""
    return (POST_PARAMETER_PROVIDERS.get(f"{rule.endpoint}:{name}")
            or crawl.provider(rule, name) or POST_PARAMETER_PROVIDERS.get(name))


def parameters(rule: Rule) -> list[str]:
    """The URL parameters of `rule` a request must fill (not defaulted), in a stable order."""
    return sorted(a for a in rule.arguments if a not in (rule.defaults or {}))


def owned_parameters(rule: Rule) -> list[str]:
    """The parameters naming something of one patient's: all but the shared ones."""
    return [name for name in parameters(rule) if name not in SHARED_PARAMETERS]


def is_staff_route(rule: Rule) -> bool:
    return rule.rule.startswith("/staff")


def all_rules(app: Flask) -> list[Rule]:
    """Every rule but static files, in a stable order."""
    return sorted((r for r in app.url_map.iter_rules() if not crawl._is_static(r)),
                  key=lambda r: (r.rule, r.endpoint))


def methods(rule: Rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def unfilled(rule: Rule) -> list[str]:
    return [name for name in parameters(rule) if provider(rule, name) is None]


def build(rule: Rule, visits: dict[str, Visit]) -> str:
    """The path of `rule`, each parameter filled for `visits[name]` (else `visits["*"]`)."""
    values = {name: provider(rule, name)(visits.get(name, visits["*"]))
              for name in parameters(rule)}
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"could not build {rule.rule} from {values}"
    return built[1]


def visit_of(number: str, role: str = "patient") -> Visit:
    """A visit by `role` about the patient numbered `number`; for "patient", by that
    patient's own account (the providers then make things in their name)."""
    patient = db.session.scalar(select(Patient).where(Patient.patient_number == number))
    if role == "patient":
        return Visit(role=role, lang="en", user=None, patient=patient)
    return make_visit(role, "en", patient=patient)


def denied_count(actor_id: int | None) -> int:
    """How many refusals the audit trail holds for `actor_id`."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.outcome == "denied", AuditEvent.actor_id.is_(actor_id)
        if actor_id is None else AuditEvent.actor_id == actor_id))


def token_of(client, path: str = "/account/") -> str:
    """The session's CSRF token, from the form or `hx-headers` of the page at `path`."""
    page = client.get(path).get_data(as_text=True)
    match = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;', page)
             or re.search(r'"X-CSRFToken": ?"([^"]+)"', page))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def send(client, method: str, path: str, token: str | None, data: dict | None = None):
    """GET `path`, or POST it with the session's CSRF token (and `data`)."""
    if method == "GET":
        return client.get(path)
    form = dict(data or {})
    if token is not None:
        form["csrf_token"] = token
    return client.post(path, data=form)


#: Tables a refused or rejected request may still write to: the refusal's audit line and
#: the server-side session (its last-seen time).
BOOKKEEPING_TABLES = ("audit_events", "user_sessions")


def row_counts() -> dict[str, int]:
    """Rows in every table, in one query."""
    from sqlalchemy import literal, union_all

    tables = db.metadata.sorted_tables
    query = union_all(*(select(literal(t.name).label("name"), func.count().label("n"))
                        .select_from(t) for t in tables))
    with db.engine.connect() as conn:
        return dict(conn.execute(query).all())


def changed_tables(before: dict[str, int], after: dict[str, int],
                   allowed: tuple[str, ...] = BOOKKEEPING_TABLES) -> dict[str, int]:
    """Tables (other than `allowed`) whose row count differs: name -> rows added."""
    return {name: after[name] - before[name] for name in after
            if after[name] != before[name] and name not in allowed}
