"""The quality gates' report: written to test-artifacts/ and summarised after the run.

The fixtures the gates use (demo data, live server, Chromium, axe-core) are in
fixtures.py, shared with the whole suite.
"""

from portal.config import ROOT
from tests.quality import report


def pytest_terminal_summary(terminalreporter):
    """Write the quality report and print its short table."""
    path = report.write()
    lines = report.summary_lines()
    if not lines:
        return
    terminalreporter.section("quality gates")
    for line in lines:
        terminalreporter.write_line(line)
    if path:
        terminalreporter.write_line(f"Full report: {path.relative_to(ROOT)}")
