"""The crawl's findings as a report: query counts and sizes per route, role and language.

Tests add rows while they run; at the end of the session the report is written to
test-artifacts/ (git-ignored) and a short table is printed with the test summary. Under
pytest-xdist each worker hands its rows to the controller, which writes the one report.
This module is a pytest plugin for that (registered in tests/conftest.py), so that the
controller, which collects no tests, has these hooks too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.config import ROOT

ARTIFACTS = ROOT / "test-artifacts"
ROWS: list[dict] = []
BROWSER_PAGES: list[dict] = []


def add_page(role: str, lang: str, result) -> None:
    """Remember what one test-client GET gave."""
    ROWS.append({"role": role, "lang": lang, "route": result.rule, "url": result.url,
                 "status": result.status, "queries": result.queries,
                 "final_status": result.final_status, "gzip_bytes": result.gzip_bytes,
                 "problems": result.problems})


def add_browser_page(role: str, lang: str, url: str, findings: list[str], page: str) -> None:
    """Remember one page visit the browser checked (`page`: its fingerprint) and findings."""
    BROWSER_PAGES.append({"role": role, "lang": lang, "url": url, "findings": findings,
                          "page": page})


def _roles() -> list[str]:
    return list(dict.fromkeys(row["role"] for row in ROWS))


def query_table() -> list[str]:
    """Markdown table: route x role -> queries (status); 'a/b/c' when languages differ."""
    roles = _roles()
    routes = sorted({row["route"] for row in ROWS})
    lines = ["| Route | " + " | ".join(roles) + " |", "|---" * (len(roles) + 1) + "|"]
    for route in routes:
        cells = []
        for role in roles:
            rows = [r for r in ROWS if r["route"] == route and r["role"] == role]
            counts = list(dict.fromkeys(r["queries"] for r in rows))
            statuses = "/".join(str(s) for s in dict.fromkeys(r["status"] for r in rows))
            cells.append(f"{'/'.join(map(str, counts))} ({statuses})" if rows else "-")
        lines.append(f"| {route} | " + " | ".join(cells) + " |")
    return lines


def largest_page() -> dict | None:
    return max(ROWS, key=lambda r: r["gzip_bytes"], default=None)


def summary_lines() -> list[str]:
    """What the terminal shows at the end of the run."""
    if not ROWS and not BROWSER_PAGES:
        return []
    lines = []
    if ROWS:
        langs = sorted({r["lang"] for r in ROWS})
        lines += [f"{len({r['route'] for r in ROWS})} routes x {len(_roles())} roles x "
                  f"{len(langs)} languages = {len(ROWS)} GETs (test client); "
                  "database queries per GET (HTTP status):", "", *query_table(), ""]
        big = largest_page()
        lines.append(f"Largest page: {big['url']} as {big['role']} ({big['lang']}): "
                     f"{big['gzip_bytes']} bytes gzipped")
    if BROWSER_PAGES:
        bad = sum(1 for p in BROWSER_PAGES if p["findings"])
        distinct = len({p["page"] for p in BROWSER_PAGES})
        lines.append(f"Browser: {len(BROWSER_PAGES)} page visits ({distinct} distinct pages) "
                     f"checked with axe-core, the console and JavaScript off; {bad} with findings")
    return lines


def write(directory: Path = ARTIFACTS) -> Path | None:
    """Write quality-report.json and quality-report.md; return the Markdown file."""
    if not ROWS and not BROWSER_PAGES:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "quality-report.json").write_text(
        json.dumps({"pages": ROWS, "browser": BROWSER_PAGES}, indent=2, ensure_ascii=False),
        encoding="utf-8")
    markdown = directory / "quality-report.md"
    markdown.write_text("# Quality report\n\n" + "\n".join(summary_lines()) + "\n",
                        encoding="utf-8")
    return markdown


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand this worker's rows to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["quality_report"] = {"pages": ROWS, "browser": BROWSER_PAGES}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the pytest-xdist controller: gather a finished worker's rows."""
    rows = getattr(node, "workeroutput", {}).get("quality_report")
    if rows:
        ROWS.extend(rows["pages"])
        BROWSER_PAGES.extend(rows["browser"])


def pytest_terminal_summary(terminalreporter):
    """Write the quality report and print its short table (the controller's, under xdist)."""
    if hasattr(terminalreporter.config, "workeroutput"):
        return
    path = write()
    lines = summary_lines()
    if not lines:
        return
    terminalreporter.section("quality gates")
    for line in lines:
        terminalreporter.write_line(line)
    if path:
        terminalreporter.write_line(f"Full report: {path.relative_to(ROOT)}")
