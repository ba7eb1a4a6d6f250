"""The browser gates, in real headless Chromium: axe-core, the CSP, no-JavaScript, keyboard.

One test per visitor signs in once and, in each language, visits every crawlable page:
with JavaScript on (as shipped, CSP enforced) for axe-core and the console, then with
JavaScript off at 320 px wide for the main content, real forms and no sideways scroll.
A page whose HTML was already checked (say, the FAQ for two staff roles) is not loaded
again: the same HTML, CSS and scripts give the same findings, which are reused.
"""

import pytest

from tests.quality import report
from tests.quality.browser import (
    CheckedPages,
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

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
WITH_SCRIPT = CheckedPages()
WITHOUT_SCRIPT = CheckedPages()


def _with_script(page, console, base, paths, lang, axe_source) -> dict:
    """Each page with JavaScript on and the CSP enforced: console, language, axe-core."""

    def check(response) -> list[str]:
        findings = console.take()
        if response is None or response.status >= 500:
            findings.append(f"status {response.status if response else 'none'}")
        if page.get_attribute("html", "lang") != lang:
            findings.append(f"<html lang> is not {lang!r}")
        return findings + axe_violations(page, axe_source)

    return {path: WITH_SCRIPT.check(page, base + path, check) for path in paths}


def _without_script(browser, base, state, known: dict, signed_in_as: str | None) -> dict:
    """The same pages in the same session with JavaScript off, 320 px wide."""
    context = browser.new_context(java_script_enabled=False, viewport=NARROW,
                                  storage_state=state)
    page = context.new_page()
    assert signed_in(context, base) == bool(signed_in_as), "not in the same session"

    def check(response) -> list[str]:
        return no_script_problems(page) + horizontal_overflow(page, NARROW["width"])

    found = {path: WITHOUT_SCRIPT.check(page, base + path, check, known=key)
             for path, key in known.items()}
    context.close()
    return found


@pytest.mark.parametrize("role", BROWSER_VISITORS)
def test_every_page_passes_the_browser_gates(app, demo, browser, live_server, axe_source,
                                             role):
    context = browser.new_context()
    context.add_init_script(axe_source)  # injected by devtools: the page's CSP stays on
    page = context.new_page()
    console = Console(page)
    username = VISITORS[role]
    if username:
        sign_in(page, live_server, username, code=lambda: second_factor_code(username))
    problems = [f"signing in: {message}" for message in console.take()]
    for lang in LANGUAGES:
        choose_language(page, live_server, lang)
        paths = [url_for_rule(rule, make_visit(role, lang)) for rule in crawlable(app)]
        on = _with_script(page, console, live_server, paths, lang, axe_source)
        assert signed_in(context, live_server) == bool(username), \
            f"a page of the crawl signed {username} out: the pages after it were not checked"
        html = {path: found[0] for path, found in on.items() if found is not None}
        off = _without_script(browser, live_server, context.storage_state(), html, username)
        assert html, "the crawl found no pages"
        for path, key in html.items():
            with_js, without_js = on[path][1], off[path][1]
            report.add_browser_page(role, lang, path, with_js + without_js, key)
            problems += [f"[{lang}] {path} (JavaScript on): {f}" for f in with_js]
            problems += [f"[{lang}] {path} (JavaScript off, 320 px): {f}" for f in without_js]
    context.close()
    assert not problems, f"as {role}:\n" + "\n".join(problems)


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
    assert page.evaluate("document.activeElement === document.querySelector('main h1')"), \
        "after a boosted navigation, focus should move to the new page's heading"
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
