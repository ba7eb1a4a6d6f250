"""With JavaScript on, the idle warning shows before the session ends, and the page's own
background poll (the unread count) neither hides it nor counts as using the portal."""

from __future__ import annotations

import pytest

from tests.quality.browser import sign_in
from tests.quality.crawl import VISITORS

pytestmark = pytest.mark.browser


@pytest.fixture
def one_minute_sessions(app):
    saved = app.config["IDLE_TIMEOUT_MINUTES"]
    app.config["IDLE_TIMEOUT_MINUTES"] = 1  # the warning is due at once (2 minutes before)
    yield
    app.config["IDLE_TIMEOUT_MINUTES"] = saved


def test_the_idle_warning_shows_and_a_poll_does_not_hide_it(demo, browser, live_server,
                                                           one_minute_sessions):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, VISITORS["patient"])
    page.goto(live_server + "/messages")
    warning = page.locator("#idle-warning")
    warning.wait_for(state="visible", timeout=5000)
    # What the unread badge does every minute, from the badge itself.
    page.evaluate("""() => new Promise(done => {
        document.body.addEventListener("htmx:afterSettle", () => done(), {once: true});
        htmx.ajax("GET", "/messages/unread", {source: "#unread-count",
                                              target: "#unread-count", swap: "outerHTML"});
    })""")
    page.wait_for_timeout(300)
    assert warning.is_visible()
    page.locator("#idle-warning button").click()
    page.wait_for_timeout(300)
    context.close()
