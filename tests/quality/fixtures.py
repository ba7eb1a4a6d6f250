"""Fixtures for browser tests anywhere in the suite: demo data, a live server, Chromium, axe.

Registered for the whole suite from tests/conftest.py (`pytest_plugins`). Browser tests
skip when Chromium or axe-core is missing, except when the run must prove them
(PORTAL_REQUIRE_BROWSER=1 or CI=true): then a missing piece fails the run.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from portal import demo as demo_module
from portal.config import ROOT
from portal.security import hash_password

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _browser_required() -> bool:
    return (os.environ.get("PORTAL_REQUIRE_BROWSER") == "1"
            or os.environ.get("CI", "").lower() == "true")


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"{reason} (required: PORTAL_REQUIRE_BROWSER=1 or CI=true)")
    pytest.skip(reason)


_demo_hash: dict[str, str] = {}


def _hash_once(password: str) -> str:
    if password not in _demo_hash:
        _demo_hash[password] = hash_password(password)
    return _demo_hash[password]


@pytest.fixture
def demo(db, monkeypatch):
    """The demo clinic, loaded afresh for this test (the tables are emptied after each).

    The demo password is hashed once per session: argon2 is slow on purpose, and every
    test of the gates loads the demo clinic again.
    """
    monkeypatch.setattr(demo_module, "hash_password", _hash_once)
    return demo_module.load_demo()


class _QuietHandler(WSGIRequestHandler):
    """Keeps the request log out of test output; errors still show."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served over HTTP on a free port, for the browser; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="live-server",
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source, injected into each page to check it."""
    if not AXE.exists():
        _unavailable(f"axe-core not found at {AXE} (run `npm ci`)")
    return AXE.read_text(encoding="utf-8")
