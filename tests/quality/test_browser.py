"""The browser gates, in real headless Chromium: axe-core, the CSP, no-JavaScript, keyboard.

One test per visitor and language signs in and visits every crawlable page: with
JavaScript on (as shipped, CSP enforced) for the console, the language, axe-core and
sideways scrolling at 320 px; then with JavaScript off for the main heading and real
forms. A page already checked in the same worker process is not loaded again (see
dedup.py). Each test may run on its own pytest-xdist worker (tests/conftest.py, SPREAD).
"""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.quality import report
from tests.quality.browser import (
    Console,
    axe_violations,
    choose_language,
    horizontal_overflow,
    no_script_problems,
    sign_in,
    signed_in,
)
from tests.quality.crawl import (
    BROWSER_VISITORS,
    LANGUAGES,
    VISITORS,
    crawlable,
    make_visit,
    second_factor_code,
    url_for_rule,
)
from tests.quality.dedup import CheckedPages, is_html, page_key, shape_key

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 720}
NARROW = {"width": 320, "height": 640}
# With JavaScript on, DOMContentLoaded is late enough: it waits for the deferred scripts,
# which wait for the stylesheet. Without JavaScript, only "load" waits for the stylesheet.
WITH_SCRIPT = CheckedPages(page_key, wait_until="domcontentloaded")
WITHOUT_SCRIPT = CheckedPages(shape_key, wait_until="load")


def _keys(context, url: str) -> tuple[str, str] | None:
    """What the URL serves in this session, as (page_key, shape_key); None if not HTML."""
    response = context.request.get(url)
    if not is_html(response):
        return None
    body = response.body()
    return page_key(body), shape_key(body)


def _with_script(page, console, lang: str, axe_source: str):
    """The check of one page with JavaScript on and the CSP enforced."""

    def check(response) -> list[str]:
        findings = console.take()
        if response is None or response.status >= 500:
            findings.append(f"status {response.status if response else 'none'}")
        if page.get_attribute("html", "lang") != lang:
            findings.append(f"<html lang> is not {lang!r}")
        # axe at desktop width, sideways scrolling at 320 px: whichever width the page
        # came in at first, so that each page costs one resize.
        if page.viewport_size["width"] == NARROW["width"]:
            findings += horizontal_overflow(page, NARROW["width"])
            page.set_viewport_size(WIDE)
            return findings + axe_violations(page, axe_source)
        findings += axe_violations(page, axe_source)
        page.set_viewport_size(NARROW)
        return findings + horizontal_overflow(page, NARROW["width"])

    return check


def _without_script(browser, base: str, state, shapes: dict, signed_in_too: bool) -> dict:
    """The same pages, in the same session, with JavaScript off: path -> findings."""
    context = browser.new_context(java_script_enabled=False, storage_state=state)
    page = context.new_page()
    assert signed_in(context, base) == signed_in_too, "not in the same session"

    def check(response) -> list[str]:
        return no_script_problems(page)

    found = {path: WITHOUT_SCRIPT.check(page, base + path, shape, check)[1]
             for path, shape in shapes.items()}
    context.close()
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", BROWSER_VISITORS)
def test_every_page_passes_the_browser_gates(app, demo, browser, live_server, axe_source,
                                             role, lang):
    context = browser.new_context(viewport=WIDE)
    context.add_init_script(axe_source)  # injected by devtools: the page's CSP stays on
    page = context.new_page()
    console = Console(page)
    username = VISITORS[role]
    if username:
        sign_in(page, live_server, username, code=lambda: second_factor_code(username))
    problems = [f"signing in: {message}" for message in console.take()]
    choose_language(page, live_server, lang)
    problems += [f"[{lang}] choosing the language: {message}" for message in console.take()]
    check = _with_script(page, console, lang, axe_source)
    keys, with_js, visit = {}, {}, make_visit(role, lang)
    for rule in crawlable(app):
        path = url_for_rule(rule, visit)
        keys[path] = _keys(context, live_server + path)
        if keys[path] is not None:
            with_js[path] = WITH_SCRIPT.check(page, live_server + path, keys[path][0], check)
    assert signed_in(context, live_server) == bool(username), \
        f"a page of the crawl signed {username} out: the pages after it were not checked"
    shapes = {path: found[1] for path, found in keys.items() if found is not None}
    without_js = _without_script(browser, live_server, context.storage_state(), shapes,
                                 bool(username))
    assert with_js, "the crawl found no pages"
    for path, (key, on) in with_js.items():
        off = without_js[path]
        report.add_browser_page(role, lang, path, on + off, key)
        problems += [f"[{lang}] {path} (JavaScript on): {f}" for f in on]
        problems += [f"[{lang}] {path} (JavaScript off): {f}" for f in off]
    context.close()
    assert not problems, f"as {role} in {lang}:\n" + "\n".join(problems)


def test_htmx_loads_and_boosts_links(demo, browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    console = Console(page)
    page.goto(live_server + "/")
    assert page.evaluate("typeof window.htmx === 'object' && typeof htmx.version === 'string'")
    page.evaluate("window.stillTheSameDocument = true")
    link = page.locator("nav.main-nav a[href='/help/signing-in']")
    with page.expect_request(lambda r: r.headers.get("hx-boosted") == "true") as boosted:
        link.click()
    page.wait_for_url("**/help/signing-in")
    assert boosted.value.url.endswith("/help/signing-in")
    assert page.evaluate("window.stillTheSameDocument === true"), "a full page load, not htmx"
    assert page.locator("main h1").inner_text() == page.title().split(" – ")[0]
    # htmx settles after the URL changes: wait for it (a busy machine is slow), then check.
    try:
        page.wait_for_function("document.activeElement === document.querySelector('main h1')",
                               timeout=3000)
    except PlaywrightTimeout:
        pytest.fail("after a boosted navigation, focus should move to the new page's heading")
    assert not console.take()
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("path", ["/", "/sign-in"])
def test_skip_link_comes_first_and_moves_focus_to_main(demo, browser, live_server, path,
                                                       javascript):
    context = browser.new_context(java_script_enabled=javascript, viewport=NARROW)
    page = context.new_page()
    page.goto(live_server + path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), \
        "Tab from the top should reach the skip link first"
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)"), \
        "following the skip link should move focus into <main>"
    assert not horizontal_overflow(page, NARROW["width"])
    context.close()


BAD_PAGE = """<!doctype html><html><head><title>Bad</title><style>p{}</style></head>
<body><main><p>No heading</p><img src="/x.png">
<form><input name="q" aria-label="Search"></form>
<pre>""" + "x" * 200 + """</pre><script>document.title = "ran";</script></main></body></html>"""


def test_the_browser_gates_catch_broken_pages(demo, browser, live_server, axe_source):
    """Guards the gates themselves: a page with known faults is caught by each check."""
    from portal.security import CSP

    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    console = Console(page)
    page.route("**/quality-self-test", lambda route: route.fulfill(
        status=200, content_type="text/html", body=BAD_PAGE,
        headers={"Content-Security-Policy": CSP}))
    page.goto(live_server + "/quality-self-test")
    csp = " ".join(console.take())
    assert "inline style" in csp and "inline script" in csp
    found = " ".join(axe_violations(page, axe_source))
    assert "image-alt" in found and "html-has-lang" in found
    no_script = " ".join(no_script_problems(page))
    assert "no <h1>" in no_script and "form without action" in no_script
    assert horizontal_overflow(page, NARROW["width"])
    context.close()
