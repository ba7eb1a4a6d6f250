"""The page gates, through the test client: every GET route as every visitor, in every language.

Each page must not fail with 5xx, must carry nothing the CSP forbids (inline script or
style), must say its language in `<html lang>` and must stay within 10 KB gzipped, and
no link htmx boosts may answer with a file (it would swap raw bytes into the page). The
number of database queries of every GET is recorded for the report.
"""

import os

import pytest

from tests.quality import report
from tests.quality.crawl import LANGUAGES, VISITORS, choose_language, crawl, make_visit, sign_in
from tests.quality.markup import PAGE_GZIP_BUDGET, page_problems


@pytest.mark.parametrize("role", list(VISITORS))
def test_every_page_passes_the_page_gates(app, client, demo, role):
    if VISITORS[role]:
        sign_in(client, VISITORS[role])
    problems = []
    for lang in LANGUAGES:
        choose_language(client, lang)
        results = crawl(app, client, make_visit(role, lang), check_links=lang == LANGUAGES[0])
        for result in results:
            report.add_page(role, lang, result)
        assert results, "the crawl found no routes"
        assert any(r.final_status == 200 for r in results), "no page rendered at all"
        problems += [f"[{lang}] {problem}" for result in results for problem in result.problems]
    assert not problems, f"as {role}:\n" + "\n".join(problems)


BAD_PAGE = """<!doctype html><html lang="en"><head><style>p{}</style>
<script>alert(1)</script><script src="/ok.js"></script></head>
<body><p style="color:red" onclick="x()"><a href="javascript:void(0)">x</a></p></body></html>"""


def test_the_page_gates_catch_what_the_csp_forbids():
    """Guards the gate itself: each forbidden thing is reported."""
    problems = "\n".join(page_problems(BAD_PAGE, "en"))
    for expected in ("<style> element", "inline <script>", "style= attribute",
                     "event handler onclick=", "javascript: URL"):
        assert expected in problems
    assert "src=" not in problems  # a script file is fine


def test_the_page_gates_catch_a_wrong_language_and_a_heavy_page():
    assert "expected 'nl'" in "\n".join(page_problems('<html lang="en"></html>', "nl"))
    heavy = '<html lang="en"><body>' + os.urandom(PAGE_GZIP_BUDGET).hex() + "</body></html>"
    assert "budget" in "\n".join(page_problems(heavy, "en"))
