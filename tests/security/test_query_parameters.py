"""Hostile query parameters on every page: never a 500.

The parameters tried are the ones each page's own links and GET forms send (page
numbers, days, filters, searches), read from the crawled pages, so a new parameter is
tried the day a page first links with it; and a page number on every page. Each gets
what a person never sends: numbers past any id or page, dates at the ends of the
calendar, text, emoji, 100 KB, several values at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.quality.crawl import VISITORS, crawlable, sign_in
from tests.security.forms import query_parameters_on
from tests.security.targets import OWN_PATIENT, build, visit_of

#: Tried on every page, linked or not: most lists take one, and a page shows no link
#: with it until a list is long enough.
EVERY_PAGE: dict[str, list[str]] = {"page": ["9" * 30]}

HOSTILE_VALUES: list[str | list[str]] = [
    "9" * 30, "2147483648", "-1", "0", "9999-12-31", "0001-01-01", "2026-02-30", "x",
    "", "\u202e😀\u200b", "A" * 100_000, ["1", "2"], "1e309", "NaN",
]


def query_parameters(app, client, own) -> dict[str, set[str]]:
    """Path -> the query parameters some page sends there (only paths the crawl serves)."""
    paths, found = set(), {}
    for rule in crawlable(app):
        path = build(rule, {"*": own})
        paths.add(path)
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            for target, names in query_parameters_on(response.get_data(as_text=True),
                                                     path).items():
                found.setdefault(target, set()).update(names - {"csrf_token"})
    return {path: names for path, names in found.items() if path in paths and names}


def served_pages(app, own) -> list[str]:
    return sorted({build(rule, {"*": own}) for rule in crawlable(app)})


@pytest.mark.parametrize("visitor", ["anonymous", "patient", "admin"])
def test_hostile_query_parameters_never_give_a_server_error(app, client, demo, visitor):
    own = visit_of(OWN_PATIENT, visitor)
    if VISITORS[visitor]:
        sign_in(client, VISITORS[visitor])
    problems, tried = [], 0
    for path, names in sorted(query_parameters(app, client, own).items()):
        for name in sorted(names):
            for value in HOSTILE_VALUES:
                query = urlencode({name: value}, doseq=True)
                response = client.get(f"{path}?{query}")
                tried += 1
                if response.status_code >= 500:
                    problems.append(f"GET {path}?{query[:80]}: {response.status}")
    for path in served_pages(app, own):
        for name, values in EVERY_PAGE.items():
            for value in values:
                response = client.get(f"{path}?{urlencode({name: value})}")
                if response.status_code >= 500:
                    problems.append(f"GET {path}?{name}={value}: {response.status}")
    assert not problems, "\n".join(problems)
    if visitor != "anonymous":
        assert tried >= 5 * len(HOSTILE_VALUES), tried
