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


def test_the_page_gates_catch_a_table_that_cannot_scroll_or_has_no_name():
    """Guards the gate: a bare table, a region without focus and one without a name."""
    page = """<html lang="en"><body>
<table><caption>Bare</caption></table>
<div class="table-scroll"><table><caption>Lost role</caption></table></div>
<div class="table-scroll" role="region" aria-labelledby="nowhere" tabindex="0"><table></table></div>
<div class="table-scroll" role="region" aria-labelledby="fine" tabindex="0">
<table><caption id="fine">Fine</caption></table></div></body></html>"""
    problems = page_problems(page, "en")
    assert [p.split(":", 1)[0] for p in problems] == ["line 2", "line 3", "line 4"]
    assert "outside a scrolling region" in problems[0]
    assert "role=region" in problems[1]
    assert "no name" in problems[2]


def test_every_table_is_written_through_the_one_macro():
    """Hand-written wrappers drift (a lost role, name or wrapper): only `_tables.html` may
    open a table or its scrolling region."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    by_hand = [str(path.relative_to(templates)) for path in templates.rglob("*.html")
               if path.name != "_tables.html"
               and ("<table" in path.read_text() or "table-scroll" in path.read_text())]
    assert not by_hand
