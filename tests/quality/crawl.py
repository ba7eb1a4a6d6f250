"""What the quality gates crawl: every GET route, as every kind of visitor, in every language.

Routes come from `app.url_map`, so a route added later is crawled without anyone adding
it here. A URL parameter is filled from the demo data by PARAMETER_PROVIDERS; a route
the crawl cannot reach must be named in NOT_CRAWLED with the reason, or the gate fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from portal import demo
from portal.auth.tokens import make_token
from portal.demo import family as family_demo
from portal.extensions import db
from portal.files import file_of
from portal.models import Patient, User
from portal.types import utcnow
from tests.conftest import count_queries, post_form, totp_now
from tests.quality import audited
from tests.quality.markup import boosted_links, gzipped_size, page_problems

LANGUAGES = ("en", "nl", "pl")

#: Who visits: role -> demo username, None for a visitor who has not signed in.
VISITORS: dict[str, str | None] = {
    "anonymous": None,
    "patient": demo.ACCOUNTS["P-100001"],
    # A parent with no record of her own, acting for her child with every right.
    "proxy": family_demo.PARENT[0],
    **{role: username for username, _, role, _ in demo.STAFF},
}

#: Who the browser gates visit as: every kind of page, the proxy (whose pages carry the
#: "whose record" bar), and admin plus one other staff role (front desk and billing see
#: the clinician's pages; the test-client crawl still checks every role).
BROWSER_VISITORS = ("anonymous", "patient", "proxy", "admin", "clinician")

#: Where sign-in asks for the second factor (an authenticator code).
CODE_STEP = "/sign-in/code"

#: The patient whose pages staff look at (a patient always looks at their own).
STAFF_VIEW_PATIENT = "P-100001"
#: The patient whose pages the proxy looks at: the child she acts for.
PROXY_VIEW_PATIENT = family_demo.CHILD


@dataclass
class Visit:
    """One crawl: who, in which language, and whose record the pages are about."""

    role: str
    lang: str
    user: User | None = None
    patient: Patient | None = None


def _account(visit: Visit) -> User:
    return visit.user or visit.patient.account


def _record_item(visit: Visit, kind: str) -> int:
    """The first item of `kind` the visit's patient may see (0, a 404, if none)."""
    from portal.records.models import RecordItem
    from portal.records.services import items_of

    found = db.session.scalar(items_of(visit.patient, kind, as_proxy=False)
                              .with_only_columns(RecordItem.id).order_by(RecordItem.id).limit(1))
    return found or 0


def _document(visit: Visit) -> int:
    """The first document of the visit's patient; a small PDF is added when there is none."""


    from portal.records.models import Document

    found = db.session.scalar(select(Document.id).where(Document.patient_id == visit.patient.id)
                              .order_by(Document.id).limit(1))
    if found:
        return found
    document = Document(patient_id=visit.patient.id, title="Letter",
                        file=file_of(b"%PDF-1.4\n%%EOF\n", "letter.pdf"))
    db.session.add(document)
    db.session.commit()
    return document.id


def _thread(visit: Visit) -> int:
    """The visit's patient's first conversation with the clinic (0, a 404, if none)."""
    from portal.messages.models import Thread

    return db.session.scalar(select(Thread.id).where(Thread.patient_id == visit.patient.id)
                             .order_by(Thread.id).limit(1)) or 0


def _attachment(visit: Visit) -> int:
    """A file in the patient's first conversation; a small PDF is sent with a message when
    there is none."""
    from portal.messages.models import Attachment, Message

    thread_id = _thread(visit)
    found = db.session.scalar(select(Attachment.id).join(Message)
                              .where(Message.thread_id == thread_id).limit(1))
    if found or not thread_id:
        return found or 0
    message = Message(thread_id=thread_id, body="A file", author_id=_account(visit).id
                      if visit.user is None or not visit.user.is_staff else visit.user.id)
    message.attachments.append(Attachment(file=file_of(b"%PDF-1.4\n%%EOF\n", "scan.pdf")))
    db.session.add(message)
    db.session.commit()
    return message.attachments[0].id


def _current_medicine(visit: Visit) -> int:
    """A medicine the patient may ask a repeat of (0 if none)."""
    from portal.messages.prescriptions import REPEATABLE
    from portal.records.models import RecordItem
    from portal.records.services import items_of

    return db.session.scalar(items_of(visit.patient, "medication", as_proxy=False)
                             .where(RecordItem.status.in_(REPEATABLE))
                             .with_only_columns(RecordItem.id).order_by(RecordItem.id)
                             .limit(1)) or 0


def _repeat_request(visit: Visit) -> int:
    from portal.messages.models import RepeatRequest

    return db.session.scalar(select(RepeatRequest.id)
                             .where(RepeatRequest.patient_id == visit.patient.id)
                             .order_by(RepeatRequest.id).limit(1)) or 0


def _patient_id(number: str) -> int:
    return db.session.scalar(select(Patient.id).where(Patient.patient_number == number)) or 0


def _proxy_request() -> int:
    """The first request for proxy access waiting for staff (0, a 404, if none)."""
    from portal.family.models import AccessRequest

    return db.session.scalar(select(AccessRequest.id).where(AccessRequest.status == "pending")
                             .order_by(AccessRequest.id).limit(1)) or 0


def _team(visit: Visit) -> int:
    from portal.messages.models import Team

    return db.session.scalar(select(Team.id).order_by(Team.id).limit(1)) or 0


def _billing_item(visit: Visit, kind: str) -> int:
    """The first statement or payment of the visit's patient; a paid statement is posted
    (with a desk payment) when there is none, so the receipt and return pages are real."""
    from portal.billing.ledger import LineInput, post_statement, record_desk_payment
    from portal.billing.models import Payment, Statement

    model = Statement if kind == "statement" else Payment
    found = db.session.scalar(select(model.id).where(model.patient_id == visit.patient.id)
                              .order_by(model.id).limit(1))
    if found:
        return found
    from datetime import date
    from decimal import Decimal

    clerk = db.session.scalar(select(User).where(User.role.in_(("billing", "admin")))
                              .order_by(User.id).limit(1))
    statement = post_statement(visit.patient, [LineInput(date.today(), "Consultation",
                                                         Decimal("40.00"))], actor=clerk)
    payment = record_desk_payment(visit.patient, Decimal("40.00"), "cash", clerk,
                                  statement_id=statement.id) if clerk else None
    return statement.id if kind == "statement" else (payment.id if payment else 0)


def _coverage_card(visit: Visit) -> int:
    """The visit's patient's insurance cover with a card photo, added when there is none."""
    from datetime import date

    from portal.billing.models import Coverage

    found = db.session.scalar(select(Coverage.id).where(
        Coverage.patient_id == visit.patient.id, Coverage.file_id.is_not(None))
        .order_by(Coverage.id).limit(1))
    if found:
        return found
    coverage = Coverage(patient_id=visit.patient.id, insurer="Crawl Insurance",
                        member_number="C-1", holder_name=visit.patient.full_name,
                        valid_from=date(2026, 1, 1), needs_review=False,
                        file=file_of(b"\x89PNG\r\n\x1a\n" + b"0" * 16, "card.png"))
    db.session.add(coverage)
    db.session.commit()
    return coverage.id


def _appointment(visit: Visit) -> int:
    """The visit's patient's next booked appointment, else their latest one (0 if none)."""
    from portal.appointments.models import Appointment

    found = db.session.scalar(select(Appointment.id).where(
        Appointment.patient_id == visit.patient.id, Appointment.status == "booked",
        Appointment.starts_at > utcnow()).order_by(Appointment.starts_at).limit(1))
    return found or db.session.scalar(select(Appointment.id).where(
        Appointment.patient_id == visit.patient.id).order_by(Appointment.id.desc()).limit(1)) or 0


def _free_slot(visit: Visit) -> int:
    """The first free slot open for any online type (0, a "just taken" page, if none)."""
    from portal.appointments.models import Appointment, Slot

    return db.session.scalar(select(Slot.id).where(
        Slot.starts_at > utcnow(), Slot.appointment_type_id.is_(None),
        ~select(Appointment.id).where(Appointment.slot_id == Slot.id,
                                      Appointment.status == "booked").exists())
        .order_by(Slot.starts_at).limit(1)) or 0


def _appointment_type(visit: Visit) -> int:
    from portal.appointments.models import AppointmentType

    return db.session.scalar(select(AppointmentType.id).order_by(AppointmentType.id)
                             .limit(1)) or 0


def _form_item(visit: Visit, kind: str) -> int:
    """The patient's first form ("response"), or a form and its first question."""
    from portal.questionnaires.models import FormResponse, Question, Questionnaire

    if kind == "response":
        return db.session.scalar(select(FormResponse.id).where(
            FormResponse.patient_id == visit.patient.id).order_by(FormResponse.id).limit(1)) or 0
    # A draft first: its pages show every field (a form in use locks some of them).
    column = Question.questionnaire_id if kind == "questionnaire" else Question.id
    return db.session.scalar(select(column).join(Question.questionnaire).order_by(
        Questionnaire.status != "draft", Question.questionnaire_id, Question.position)
        .limit(1)) or 0


def _correction(visit: Visit) -> int:
    """The visit's patient's first correction request; an open one about their first result
    is made when there is none, so staff's page shows both decisions."""
    from portal.corrections.models import CorrectionRequest
    from portal.corrections.services import due_date, item_snapshot
    from portal.family.rules import clinic_today
    from portal.records.models import RecordItem

    found = db.session.scalar(select(CorrectionRequest.id).where(
        CorrectionRequest.patient_id == visit.patient.id).order_by(CorrectionRequest.id).limit(1))
    if found:
        return found
    item = db.session.get(RecordItem, _record_item(visit, "observation"))
    asker = visit.patient.account or db.session.scalar(select(User).order_by(User.id).limit(1))
    request = CorrectionRequest(patient_id=visit.patient.id, record_item_id=item.id,
                                reason="wrong-value", details="The value looks wrong.",
                                requested_by_id=asker.id, due_on=due_date(clinic_today()),
                                original=item_snapshot(item))
    db.session.add(request)
    db.session.commit()
    return request.id


#: URL parameter -> how to fill it from the demo data for a visit. The key is the
#: parameter's name, or "endpoint:name" when one route needs its own value.
#: Add one here when a new route takes a parameter; the route gate says when.
PARAMETER_PROVIDERS: dict[str, Callable[[Visit], object]] = {
    # /language/<code>: the language under test, so the crawl never switches away from it.
    "code": lambda visit: visit.lang,
    # /dev/checkout/<provider_id>: the development payment stand-in answers 404 outside
    # development (tests/billing/test_standin.py walks it in development).
    "provider_id": lambda visit: "tr_none",
    # /staff/patients/<patient_id>: the patient whose pages staff look at.
    "patient_id": lambda visit: visit.patient.id,
    # /record/results/<item_id>, /record/visits/<item_id> (and staff's): the patient's own.
    "records.result:item_id": lambda visit: _record_item(visit, "observation"),
    "records.visit:item_id": lambda visit: _record_item(visit, "encounter"),
    # /record/documents/<document_id> (and staff's): the patient's own document.
    "document_id": _document,
    # Appointments: the patient's next appointment, a free slot, the first type.
    "appointment_id": _appointment,
    "slot_id": _free_slot,
    "type_id": _appointment_type,
    # /billing/statements/<id>, /billing/payments/<id>[/return], staff's refund: the
    # patient's own statement and payment (a paid one is made when there is none).
    "statement_id": lambda visit: _billing_item(visit, "statement"),
    "payment_id": lambda visit: _billing_item(visit, "payment"),
    # /billing/insurance/<id>/card (and staff's): the patient's cover with a card photo.
    "coverage_id": _coverage_card,
    # Messages: the patient's first conversation and a file in it; staff see it in the
    # inbox of their team (others get the 404 a thread of another team gives).
    "thread_id": _thread,
    "attachment_id": _attachment,
    "messages.request_repeat:item_id": _current_medicine,
    # /record/corrections/new/<item_id>: the patient's first result; staff's page of one
    # request: the patient's first (an open one is made when there is none).
    "corrections.ask_item:item_id": lambda visit: _record_item(visit, "observation"),
    "correction_id": _correction,
    "request_id": _repeat_request,
    # /staff/family/patients/<id>: the demo child, who has someone acting for him.
    "family.staff_grants:patient_id": lambda visit: _patient_id(PROXY_VIEW_PATIENT),
    # /staff/family/requests/<id>[/document]: the demo's pending request for proxy access.
    "family.staff_request:request_id": lambda visit: _proxy_request(),
    "family.staff_request_document:request_id": lambda visit: _proxy_request(),
    "team_id": _team,
    # Links from e-mails, made for the account whose pages are visited.
    "auth.verify_email:token": lambda visit: make_token(_account(visit), "verify"),
    "auth.reset_password:token": lambda visit: make_token(_account(visit), "reset"),
    # Forms: the visit's patient's first form, and the first form with its first question.
    "response_id": lambda visit: _form_item(visit, "response"),
    "questionnaire_id": lambda visit: _form_item(visit, "questionnaire"),
    "question_id": lambda visit: _form_item(visit, "question"),
    # /staff/terms/<id>: the first entry of the terminology (the demo loads the starter set).
    "term_id": lambda visit: _first_term(),
}


def _first_term() -> int:
    from portal.terminology.models import Term

    return db.session.scalar(select(Term.id).order_by(Term.id).limit(1)) or 0


def provider(rule: Rule, name: str) -> Callable[[Visit], object] | None:
    """What fills URL parameter `name` of `rule`, if anything does."""
    return PARAMETER_PROVIDERS.get(f"{rule.endpoint}:{name}") or PARAMETER_PROVIDERS.get(name)


#: Routes the crawl cannot GET, each with the reason. Keep it short and honest: the
#: route gate fails when an entry is missing, and when one is no longer needed.
NOT_CRAWLED: dict[str, str] = {
}


def _is_static(rule: Rule) -> bool:
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def routes(app: Flask) -> list[Rule]:
    """Every GET rule of the app except static files, in a stable order.

    POST-only routes are not pages: their forms sit on pages the crawl checks (action,
    method, button), and CSRF and permission tests cover them.
    """
    return sorted((r for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not _is_static(r)),
                  key=lambda r: (r.rule, r.endpoint))


def missing_parameters(rule: Rule) -> list[str]:
    """The rule's URL parameters that neither a default nor a provider fills."""
    defaults = rule.defaults or {}
    return sorted(a for a in rule.arguments if a not in defaults and provider(rule, a) is None)


def why_not_crawlable(rule: Rule) -> str | None:
    """None when the crawl can GET the rule, else what stops it."""
    missing = missing_parameters(rule)
    if missing:
        return f"no provider for URL parameter(s) {', '.join(missing)}"
    return None


def crawlable(app: Flask) -> list[Rule]:
    """The GET rules whose every parameter the crawl can fill."""
    return [rule for rule in routes(app) if why_not_crawlable(rule) is None]


def url_for_rule(rule: Rule, visit: Visit) -> str:
    """The path of `rule` with its parameters filled for `visit`."""
    values = {name: provider(rule, name)(visit)
              for name in rule.arguments if name not in (rule.defaults or {})}
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"could not build {rule.rule} from {values}"
    return built[1]


def make_visit(role: str, lang: str, patient: Patient | None = None) -> Visit:
    """A visit with the demo user for `role` and the patient their pages are about."""
    username = VISITORS[role]
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if patient is None:
        if user is not None and user.patient is not None:
            patient = user.patient
        elif role == "proxy":
            patient = db.session.scalar(
                select(Patient).where(Patient.patient_number == PROXY_VIEW_PATIENT))
        else:
            patient = db.session.scalar(
                select(Patient).where(Patient.patient_number == STAFF_VIEW_PATIENT))
    return Visit(role=role, lang=lang, user=user, patient=patient)


def second_factor_code(username: str) -> str:
    """The current authenticator code of a demo user (staff must give one at sign-in)."""
    return totp_now(db.session.scalar(select(User).where(User.username == username)))


def sign_in(client, username: str, password: str = demo.DEMO_PASSWORD) -> None:
    """Sign in through the real sign-in form, and the code step when the user has one."""
    response = post_form(client, "/sign-in", {"identifier": username, "password": password})
    assert response.status_code == 303, f"sign-in as {username} failed: {response.status}"
    if response.headers["Location"].startswith(CODE_STEP):
        response = post_form(client, CODE_STEP, {"code": second_factor_code(username)})
        assert response.status_code == 303, f"code step for {username}: {response.status}"


def choose_language(client, lang: str) -> None:
    """Pick the language the way a person does: the language link (stored on the account)."""
    response = client.get(f"/language/{lang}?next=/")
    assert response.status_code == 303, response.status


@dataclass
class PageResult:
    """What one GET of one route gave, and what is wrong with it."""

    rule: str
    url: str
    status: int = 0
    queries: int = 0
    final_url: str = ""
    final_status: int = 0
    gzip_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    #: What the final answer was (text/html for a page), and the page's boosted links.
    mimetype: str = ""
    links: list[str] = field(default_factory=list)


def fetch(client, rule: Rule, url: str, lang: str, max_hops: int = 5) -> PageResult:
    """GET `url`, counting its queries; follow local redirects; check every HTML page."""
    result = PageResult(rule=rule.rule, url=url)
    target = url
    for hop in range(max_hops):
        try:
            mark = audited.last_line()
            with count_queries() as queries:
                response = client.get(target)
        except Exception as error:  # noqa: BLE001 - a crash is a finding, not a stop
            result.problems.append(f"{target}: raised {type(error).__name__}: {error}")
            return result
        result.problems += [f"{target}: {p}" for p in audited.problems(response, mark)]
        if hop == 0:
            result.status, result.queries = response.status_code, queries()
        result.final_url, result.final_status = target, response.status_code
        result.mimetype = response.mimetype
        if response.status_code >= 500 or response.status_code < 200:
            result.problems.append(f"{target}: {response.status}")
        redirect = response.status_code in (301, 302, 303, 307, 308)
        if response.mimetype == "text/html" and not redirect:  # a redirect's body is unseen
            body = response.get_data()
            result.gzip_bytes = gzipped_size(body)
            result.problems += [f"{target}: {p}" for p in page_problems(body, lang)]
            result.links = boosted_links(body)
        if not redirect:
            return result
        location = response.headers.get("Location", "")
        if not location.startswith("/") or location.startswith("//"):
            return result  # leaves the site: nothing of ours to check
        target = location
    result.problems.append(f"{url}: more than {max_hops} redirects")
    return result


def crawl(app: Flask, client, visit: Visit, check_links: bool = False) -> list[PageResult]:
    """GET every crawlable route for `visit` with an already signed-in `client`; with
    `check_links`, also check that every boosted link on those pages answers with a page
    (what a link answers does not depend on the language: one language is enough)."""
    results = [fetch(client, rule, url_for_rule(rule, visit), visit.lang)
               for rule in crawlable(app)]
    if check_links:
        check_boosted_links(client, results)
    return results


def _answer_type(client, url: str, max_hops: int = 5) -> str | None:
    """The type of what `url` finally answers with (after local redirects), None when it
    answers with no content to swap (an error, or a redirect off the site)."""
    for _hop in range(max_hops):
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            url = response.headers.get("Location", "")
            if not url.startswith("/") or url.startswith("//"):
                return None
            continue
        return response.mimetype if response.status_code == 200 else None
    return None


def check_boosted_links(client, results: list[PageResult]) -> None:
    """A boosted link that answers with a file fails its page: htmx would swap the bytes
    into the page instead of downloading (the link needs `hx-boost="false"`).

    Each link target is fetched once; the routes the crawl already fetched are not
    fetched again."""
    answers: dict[str, str | None] = {r.url: r.mimetype if r.final_status == 200 else None
                                      for r in results}
    for result in results:
        for link in result.links:
            if link not in answers:
                answers[link] = _answer_type(client, link)
            if answers[link] not in (None, "text/html"):
                result.problems.append(
                    f"{result.final_url}: boosted link {link} answers {answers[link]}, not a "
                    'page: give it hx-boost="false"')
