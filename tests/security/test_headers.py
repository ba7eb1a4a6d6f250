"""Headers on every response: every crawled route, error pages, downloads and static files.

Every response must carry a CSP without 'unsafe-inline' or 'unsafe-eval' that refuses
framing, nosniff and a Referrer-Policy that keeps URLs (which hold ids) on the site;
over HTTPS, HSTS for at least a year. Responses to a signed-in user (pages, downloads,
redirects) hold or lead to health data: none may be kept in a cache (no-store).
"""

from __future__ import annotations

import pytest

from portal import create_app
from tests.quality.crawl import VISITORS, crawlable, make_visit, sign_in, url_for_rule
from tests.security.targets import token_of

SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin",
                          "strict-origin-when-cross-origin"}
ONE_YEAR = 365 * 24 * 3600


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


def header_problems(response, where: str, *, private: bool = True,
                    secure: bool = False) -> list[str]:
    """What is missing or unsafe in `response`'s headers."""
    headers = response.headers
    problems = []
    csp = csp_directives(headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    if scripts is None:
        problems.append("no CSP restricting scripts")
    for name, sources in csp.items():
        unsafe = [s for s in sources if s in ("'unsafe-inline'", "'unsafe-eval'", "*")]
        if unsafe:
            problems.append(f"CSP {name} allows {' '.join(unsafe)}")
    if csp.get("object-src", csp.get("default-src")) != ["'none'"]:
        problems.append("CSP object-src is not 'none'")
    if (csp.get("frame-ancestors") != ["'none'"]
            and headers.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN")):
        problems.append("framing is not refused (frame-ancestors / X-Frame-Options)")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if secure:
        hsts = headers.get("Strict-Transport-Security", "")
        max_age = next((int(p.split("=")[1]) for p in hsts.split(";")
                        if p.strip().startswith("max-age=")), 0)
        if max_age < ONE_YEAR:
            problems.append(f"HSTS {hsts!r}: max-age under a year")
    if private and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r}, not no-store")
    return [f"{where} ({response.status}, {response.mimetype}): {p}" for p in problems]


#: Routes whose answer is the same for everyone and holds nothing private, which browsers
#: may keep a while: the web app manifest (the clinic's name and icons).
PUBLIC_CACHEABLE = {"help.web_app_manifest"}


@pytest.mark.parametrize("role", ["anonymous", "patient", "admin"])
def test_every_crawled_route_carries_the_security_headers(app, client, demo, role):
    if VISITORS[role]:
        sign_in(client, VISITORS[role])
    visit = make_visit(role, "en")
    problems, kinds = [], set()
    for rule in crawlable(app):
        url = url_for_rule(rule, visit)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            kinds.add(response.mimetype)
            problems += header_problems(response, f"GET {url} {headers or ''}",
                                        private=rule.endpoint not in PUBLIC_CACHEABLE)
    assert not problems, "\n".join(problems)
    if role != "anonymous":
        # Downloads (PDF, FHIR, calendar files, images) are among what was checked.
        assert len(kinds - {"text/html"}) >= 2, kinds


def test_error_pages_carry_the_security_headers(app, client, clinic, monkeypatch):
    problems = []
    problems += header_problems(client.get("/no-such-page"), "404")
    problems += header_problems(client.get("/sign-out"), "405")
    problems += header_problems(client.post("/sign-in", data={}), "400 (no CSRF token)")
    token = token_of(client, "/sign-in")
    problems += header_problems(client.post("/sign-in", data={"csrf_token": token}), "422")

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    too_large = client.post("/sign-in", data={"csrf_token": token, "identifier": "x" * 4096})
    assert too_large.status_code == 413
    problems += header_problems(too_large, "413")

    def broken_view(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "help.privacy", broken_view)
    crashed = client.get("/privacy")
    assert crashed.status_code == 500
    problems += header_problems(crashed, "500")
    assert not problems, "\n".join(problems)


def test_static_files_carry_the_security_headers(app, client, clinic):
    page = client.get("/").get_data(as_text=True)
    files = sorted({part for part in page.split('"') if part.startswith("/static/")})
    assert any(f.endswith(".css") for f in files), files
    problems = []
    for path in files:
        response = client.get(path)
        assert response.status_code == 200, path
        # Static files are the same for everyone: caching them is the point.
        problems += header_problems(response, f"GET {path}", private=False)
        assert "immutable" in response.headers["Cache-Control"]
    problems += header_problems(client.get("/static/no-such-file.css"), "static 404")
    assert not problems, "\n".join(problems)


@pytest.fixture
def production_app(app, tmp_path):
    """The portal with production settings behind one proxy (nginx), on the test database."""
    production = create_app({
        "ENV_NAME": "production",
        "SECRET_KEY": "a-long-random-value-for-this-test-only",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_DIR": str(tmp_path),
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "PROXY_COUNT": 1,
        # The limiter object is shared by every app of the process: keep it in memory.
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    return production


def test_production_sends_hsts_over_https_and_secure_cookies(production_app, clinic):
    client = production_app.test_client()
    behind_nginx = client.get("/sign-in", headers={"X-Forwarded-Proto": "https",
                                                   "X-Forwarded-For": "203.0.113.9"})
    problems = header_problems(behind_nginx, "GET /sign-in behind nginx", secure=True)
    direct = production_app.test_client().get("/sign-in", base_url="https://portal.example")
    problems += header_problems(direct, "GET /sign-in over https", secure=True)
    assert not problems, "\n".join(problems)
    cookie = direct.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie
