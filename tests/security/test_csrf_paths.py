"""CSRF beyond "no token, 400" (tests/quality/test_csrf.py covers that for every POST route).

Here, for every POST route: a token from another session (another user's, or the same
user's other sign-in) is refused and changes nothing; the token sent the htmx way, as the
X-CSRFToken header from `<body hx-headers>`, is accepted; and only the payment provider's
webhook is exempt.
"""

from __future__ import annotations

import json
import re

import pytest

from portal.extensions import csrf
from tests.quality.crawl import VISITORS, sign_in
from tests.security.targets import (
    OWN_PATIENT,
    all_rules,
    build,
    changed_tables,
    row_counts,
    token_of,
    visit_of,
)

#: POST routes without CSRF protection, and why.
EXEMPT: dict[str, str] = {
    "billing.webhook": "Mollie's server posts it without a session; it only names a payment, "
                       "whose status the portal then asks Mollie for",
}


@pytest.fixture
def csrf_refusals(monkeypatch) -> list[str]:
    """The reasons of every CSRF refusal during the test."""
    refusals: list[str] = []
    refuse = csrf._error_response

    def spy(reason):
        refusals.append(reason)
        refuse(reason)

    monkeypatch.setattr(csrf, "_error_response", spy)
    return refusals


def post_rules(app):
    return [rule for rule in all_rules(app) if "POST" in rule.methods
            and rule.endpoint not in EXEMPT and rule.endpoint != "auth.sign_out"]


def signed_in_client(app, role: str):
    client = app.test_client()
    sign_in(client, VISITORS[role])
    return client


def test_only_the_named_routes_are_exempt(app):
    exempt = {endpoint for endpoint, view in app.view_functions.items()
              if f"{view.__module__}.{view.__name__}" in csrf._exempt_views}
    assert exempt == set(EXEMPT)
    assert not csrf._exempt_blueprints


@pytest.mark.parametrize("whose", ["another user's", "the same user's other"])
def test_a_token_from_another_session_is_refused(app, demo, csrf_refusals, whose):
    victim = signed_in_client(app, "admin")
    stranger = signed_in_client(app, "patient" if whose == "another user's" else "admin")
    stolen = token_of(stranger)
    assert stolen != token_of(victim)
    own = visit_of(OWN_PATIENT, "admin")
    problems = []
    for rule in post_rules(app):
        path = build(rule, {"*": own})
        before, refused = row_counts(), len(csrf_refusals)
        response = victim.post(path, data={"csrf_token": stolen, "reason": "x"})
        if response.status_code != 400 or len(csrf_refusals) == refused:
            problems.append(f"POST {path}: {response.status} with {whose} session's token")
        if changes := changed_tables(before, row_counts()):
            problems.append(f"POST {path}: wrote {changes}")
    assert not problems, "\n".join(problems)


def hx_headers_token(client, path: str) -> str:
    """The token htmx sends: the X-CSRFToken in `<body hx-headers='{...}'>`."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r"<body[^>]*hx-headers='([^']+)'", page) or re.search(
        r'<body[^>]*hx-headers="([^"]+)"', page)
    assert found, f"no hx-headers on the body of {path}"
    return json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))[
        "X-CSRFToken"]


@pytest.mark.parametrize("role", ["admin", "patient"])
def test_the_htmx_header_token_is_accepted_on_every_post(app, demo, csrf_refusals, role):
    client = signed_in_client(app, role)
    token = hx_headers_token(client, "/account/")
    own = visit_of(OWN_PATIENT, role)
    asked = []
    for rule in post_rules(app):
        path = build(rule, {"*": own})
        response = client.post(path, data={}, headers={"X-CSRFToken": token,
                                                       "HX-Request": "true"})
        assert response.status_code < 500, f"POST {path}: {response.status}"
        asked.append(path)
    assert not csrf_refusals, csrf_refusals
    assert len(asked) >= 60


def test_a_token_from_before_signing_in_is_refused_after(app, client, demo, csrf_refusals):
    before_sign_in = token_of(client, "/sign-in")
    sign_in(client, VISITORS["patient"])
    response = client.post("/account/contact", data={"csrf_token": before_sign_in,
                                                     "phone": "+31 6 0000 0000"})
    assert response.status_code == 400 and csrf_refusals
