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
from portal.extensions import db
from portal.models import Patient, User
from tests.conftest import count_queries, post_form, totp_now
from tests.quality.markup import gzipped_size, page_problems

LANGUAGES = ("en", "nl", "pl")

#: Who visits: role -> demo username, None for a visitor who has not signed in.
VISITORS: dict[str, str | None] = {
    "anonymous": None,
    "patient": demo.ACCOUNTS["P-100001"],
    **{role: username for username, _, role, _ in demo.STAFF},
}

#: Who the browser gates visit as: every kind of page, and admin plus one other staff
#: role (front desk and billing see the clinician's pages; the test-client crawl still
#: checks every role).
BROWSER_VISITORS = ("anonymous", "patient", "admin", "clinician")

#: Where sign-in asks for the second factor (an authenticator code).
CODE_STEP = "/sign-in/code"

#: The patient whose pages staff look at (a patient always looks at their own).
STAFF_VIEW_PATIENT = "P-100001"


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

    found = db.session.scalar(items_of(visit.patient, kind).with_only_columns(RecordItem.id)
                              .order_by(RecordItem.id).limit(1))
    return found or 0


def _document(visit: Visit) -> int:
    """The first document of the visit's patient; a small PDF is added when there is none."""
    import hashlib
    from pathlib import Path

    from flask import current_app

    from portal.records.models import Document

    found = db.session.scalar(select(Document.id).where(Document.patient_id == visit.patient.id)
                              .order_by(Document.id).limit(1))
    if found:
        return found
    content, name = b"%PDF-1.4\n%%EOF\n", f"crawl-{visit.patient.id}"
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    document = Document(patient_id=visit.patient.id, title="Letter", filename="letter.pdf",
                        content_type="application/pdf", size=len(content), stored_name=name,
                        sha256=hashlib.sha256(content).hexdigest())
    db.session.add(document)
    db.session.commit()
    return document.id


#: URL parameter -> how to fill it from the demo data for a visit. The key is the
#: parameter's name, or "endpoint:name" when one route needs its own value.
#: Add one here when a new route takes a parameter; the route gate says when.
PARAMETER_PROVIDERS: dict[str, Callable[[Visit], object]] = {
    # /language/<code>: the language under test, so the crawl never switches away from it.
    "code": lambda visit: visit.lang,
    # /staff/patients/<patient_id>: the patient whose pages staff look at.
    "patient_id": lambda visit: visit.patient.id,
    # /record/results/<item_id>, /record/visits/<item_id> (and staff's): the patient's own.
    "records.result:item_id": lambda visit: _record_item(visit, "observation"),
    "records.visit:item_id": lambda visit: _record_item(visit, "encounter"),
    # /record/documents/<document_id> (and staff's): the patient's own document.
    "document_id": _document,
    # Links from e-mails, made for the account whose pages are visited.
    "auth.verify_email:token": lambda visit: make_token(_account(visit), "verify"),
    "auth.reset_password:token": lambda visit: make_token(_account(visit), "reset"),
}


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


def fetch(client, rule: Rule, url: str, lang: str, max_hops: int = 5) -> PageResult:
    """GET `url`, counting its queries; follow local redirects; check every HTML page."""
    result = PageResult(rule=rule.rule, url=url)
    target = url
    for hop in range(max_hops):
        try:
            with count_queries() as queries:
                response = client.get(target)
        except Exception as error:  # noqa: BLE001 - a crash is a finding, not a stop
            result.problems.append(f"{target}: raised {type(error).__name__}: {error}")
            return result
        if hop == 0:
            result.status, result.queries = response.status_code, queries()
        result.final_url, result.final_status = target, response.status_code
        if response.status_code >= 500:
            result.problems.append(f"{target}: {response.status}")
        redirect = response.status_code in (301, 302, 303, 307, 308)
        if response.mimetype == "text/html" and not redirect:  # a redirect's body is unseen
            body = response.get_data()
            result.gzip_bytes = gzipped_size(body)
            result.problems += [f"{target}: {p}" for p in page_problems(body, lang)]
        if not redirect:
            return result
        location = response.headers.get("Location", "")
        if not location.startswith("/") or location.startswith("//"):
            return result  # leaves the site: nothing of ours to check
        target = location
    result.problems.append(f"{url}: more than {max_hops} redirects")
    return result


def crawl(app: Flask, client, visit: Visit) -> list[PageResult]:
    """GET every crawlable route for `visit` with an already signed-in `client`."""
    return [fetch(client, rule, url_for_rule(rule, visit), visit.lang) for rule in crawlable(app)]
