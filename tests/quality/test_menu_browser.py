"""On a 360 px phone the signed-in menu is one "Menu" row, so the page's heading shows first;
on a wide screen the menu shows open, as before. No JavaScript needed."""

from __future__ import annotations

import pytest

from tests.quality.browser import sign_in
from tests.quality.crawl import VISITORS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_signed_in_menu_is_compact_on_a_phone(demo, browser, live_server, javascript):
    context = browser.new_context(java_script_enabled=javascript,
                                  viewport={"width": 360, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, VISITORS["patient"])
    page.goto(live_server + "/record")
    heading = page.locator("main h1").bounding_box()
    assert heading["y"] + heading["height"] < 640 / 2, heading  # in the top half
    assert not page.locator("nav.main-nav a[href='/messages']").is_visible()
    page.locator("nav.main-nav summary").click()
    assert page.locator("nav.main-nav a[href='/messages']").is_visible()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(live_server + "/record")
    assert not page.locator("nav.main-nav summary").is_visible()
    assert page.locator("nav.main-nav a[href='/messages']").is_visible()
    context.close()
