"""Staff can move around: every role has a patient page, and no link leads to "Page not found".

The crawl signs in as each staff role of the demo clinic, starts at /staff and follows
every link to the site it finds, the way a person clicking through would. Links that
differ only in their numbers (another patient, another page) are followed a few times
each, so the crawl stays short while every kind of link is tried.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal import demo as demo_module
from portal.extensions import db
from portal.models import User
from portal.types import utcnow
from tests.conftest import login_as, make_patient, make_user, post_form
from tests.quality.crawl import sign_in

ROLE_USERS = {role: username for username, _, role, _ in demo_module.STAFF}
#: Not followed: another language (same page again), static files.
SKIPPED = ("/language/", "/static/")
#: How many links of one shape (numbers left out) the crawl follows, and pages at most.
PER_SHAPE, MOST_PAGES = 2, 400

_HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]*)')


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(part.split("=")[0] for part in parts.query.split("&") if part)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def _links(body: str) -> list[str]:
    return [html.unescape(href) for href in _HREF.findall(body)
            if href.startswith("/") and not href.startswith("//")
            and not href.startswith(SKIPPED)]


def crawl_links(client, start: str) -> tuple[dict[str, int], dict[str, str]]:
    """Follow same-site links from `start`: url -> status, and url -> page it was found on."""
    seen: dict[str, int] = {}
    found_on: dict[str, str] = {start: "(start)"}
    shapes: Counter = Counter()
    queue = deque([start])
    while queue and len(seen) < MOST_PAGES:
        url = queue.popleft()
        response = client.get(url)
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = response.headers["Location"]
            if location.startswith("/") and location not in found_on:
                found_on[location] = url
                queue.append(location)
        seen[url] = status
        if status != 200 or response.mimetype != "text/html":
            continue
        for link in _links(response.get_data(as_text=True)):
            if link in found_on or shapes[_shape(link)] >= PER_SHAPE:
                continue
            shapes[_shape(link)] += 1
            found_on[link] = url
            queue.append(link)
    return seen, found_on


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_no_link_a_staff_role_can_follow_from_staff_answers_404(app, demo, role):
    client = app.test_client()
    sign_in(client, ROLE_USERS[role])
    seen, found_on = crawl_links(client, "/staff")
    broken = {url: found_on[url] for url, status in seen.items() if status in (404, 405)
              or status >= 500}
    assert not broken, f"as {role}: link -> page it is on: {broken}"
    assert any(re.fullmatch(r"/staff/patients/\d+", url) for url in seen), role
    assert len(seen) > 10


@pytest.mark.parametrize("role", ["clinician", "billing", "front_desk", "admin"])
def test_every_staff_role_has_a_patient_page_and_search_links_to_it(client, clinic, role):
    patient = make_patient(given_name="Oliver", family_name="Bennett")
    login_as(client, make_user(role=role))
    search = client.get("/staff/patients", query_string={"q": "Bennett"}).get_data(as_text=True)
    assert f'href="/staff/patients/{patient.id}"' in search
    page = client.get(f"/staff/patients/{patient.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Oliver Bennett" in body and patient.patient_number in body
    links = set(_links(body))
    record = f"/staff/patients/{patient.id}/record"
    assert (record in links) == (role in ("clinician", "admin"))
    assert (f"/staff/billing/patients/{patient.id}" in links) == (role in ("billing", "admin"))
    assert (f"/staff/patients/{patient.id}/invitation" in body) == (
        role in ("front_desk", "admin"))
    for link in links:
        assert client.get(link).status_code != 404, link


def test_back_to_the_patient_from_the_forms_page_works_for_a_clinician(client, clinic):
    patient = make_patient(given_name="Oliver", family_name="Bennett")
    login_as(client, make_user(role="clinician"))
    forms = client.get(f"/staff/patients/{patient.id}/forms").get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)">Back to Oliver Bennett', forms)
    assert back, "no link back to the patient"
    assert client.get(back.group(1)).status_code == 200


def _lock_out(app, user: User) -> None:
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        post_form(app.test_client(), "/sign-in",
                  {"identifier": user.username, "password": "wrong password"})
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.id == user.id))
    assert user.locked_until and user.locked_until > utcnow()


def test_the_patient_list_shows_a_locked_account_as_locked(client, clinic, app):
    patient = make_patient(given_name="Oliver", family_name="Bennett")
    _lock_out(app, make_user(patient=patient))
    login_as(client, make_user(role="front_desk"))
    page = client.get("/staff/patients", query_string={"q": "Bennett"}).get_data(as_text=True)
    row = re.search(r"Bennett, Oliver.*?</tr>", page, re.S).group(0)
    assert "Locked until" in row and ">Active<" not in row


def test_the_staff_list_shows_a_locked_account_as_locked(client, clinic, app):
    colleague = make_user(role="clinician", display_name="Dr Locked Out")
    _lock_out(app, colleague)
    login_as(client, make_user(role="admin"))
    page = client.get("/staff/accounts").get_data(as_text=True)
    row = re.search(r"Dr Locked Out.*?</tr>", page, re.S).group(0)
    assert "Locked until" in row and ">Active<" not in row
    assert "Unlock" in row


def test_staff_start_page_is_there(client, clinic):
    login_as(client, make_user(role="billing"))
    response = client.get("/staff")
    assert response.status_code in (302, 303) and response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200
