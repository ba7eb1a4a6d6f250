"""What the browser gates do on a page: run axe-core, read the console, look at the layout."""

from __future__ import annotations

from portal import demo

#: The WCAG 2.2 A and AA success criteria, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

#: Runs the WCAG rules; element selectors (slow to build) only when something was found.
_RUN_AXE = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  let results = await axe.run(document, {...options, selectors: false});
  if (results.violations.length) { results = await axe.run(document, options); }
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""

#: What a page without JavaScript needs: a visible heading in <main>, forms that submit.
_NO_SCRIPT = """() => {
  const h1 = document.querySelector("main h1");
  const box = h1 && h1.getBoundingClientRect();
  return {
    h1: !h1 ? "missing" : (box.width > 0 && box.height > 0 &&
                           getComputedStyle(h1).visibility !== "hidden") ? "visible" : "hidden",
    forms: Array.from(document.forms).map(form => ({
      html: form.outerHTML.slice(0, 120),
      action: form.getAttribute("action"),
      method: (form.getAttribute("method") || "").toLowerCase(),
      submit: form.querySelectorAll(
        "button:not([type]), button[type=submit], input[type=submit]").length,
    })),
  };
}"""


def axe_violations(page, axe_source: str) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page, one line each."""
    if page.evaluate("typeof window.axe === 'undefined'"):
        page.evaluate(axe_source)
    return [f"axe {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
            for v in page.evaluate(_RUN_AXE, WCAG_TAGS)]


class Console:
    """Collects what the browser says on a page that matters: CSP refusals, script errors."""

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"script error: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(f"CSP: {message.text}")

    def take(self) -> list[str]:
        """The messages since the last call."""
        taken, self.messages = self.messages, []
        return taken


def sign_in(page, base_url: str, username: str, code=None,
            password: str = demo.DEMO_PASSWORD) -> None:
    """Sign in through the real sign-in form as a person would; `code()` for the code step."""
    page.goto(f"{base_url}/sign-in")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    signed_in, code_step = "form.sign-out button", "main input[name=code]"
    page.wait_for_selector(f"{signed_in}, {code_step}", timeout=10_000)
    if page.locator(code_step).count():
        assert code is not None, f"{username} must give a code, but none was provided"
        page.fill(code_step, code())
        page.click("main form button[type=submit]")
    page.wait_for_selector(signed_in, timeout=10_000)


def signed_in(context, base_url: str) -> bool:
    """Whether the browser context's session is signed in (the header has Sign out)."""
    return b'class="sign-out"' in context.request.get(base_url + "/").body()


def choose_language(page, base_url: str, lang: str) -> None:
    """Follow the language link; for a signed-in person it is stored on the account."""
    page.goto(f"{base_url}/language/{lang}?next=/")
    assert page.get_attribute("html", "lang") == lang


def no_script_problems(page) -> list[str]:
    """What stops the page from working without JavaScript: no heading, or a dead form."""
    found = page.evaluate(_NO_SCRIPT)
    problems = []
    if found["h1"] == "missing":
        problems.append("no <h1> inside <main>")
    elif found["h1"] == "hidden":
        problems.append("the <h1> inside <main> is not visible")
    for form in found["forms"]:
        if not (form["action"] or "").strip():
            problems.append(f"form without action: {form['html']}")
        if form["method"] not in ("get", "post"):
            problems.append(f"form without method get or post: {form['html']}")
        if not form["submit"]:
            problems.append(f"form without a submit button: {form['html']}")
    return problems


_STICKING_OUT = """(width) => {
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") { return true; }
    }
    return false;
  };
  const out = el => el.getBoundingClientRect().right > width + 0.5;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + Array.from(el.classList).join(".") : "");
  const deepest = Array.from(document.querySelectorAll("body *"))
    .filter(el => out(el) && !Array.from(el.children).some(out));
  // Prefer what no scroll box clips; an absolutely placed element can escape its clip.
  const unclipped = deepest.filter(el => !clipped(el));
  return (unclipped.length ? unclipped : deepest).slice(0, 3)
    .map(el => name(el) + " (" + (el.textContent || "").trim().slice(0, 30) + ")");
}"""


def horizontal_overflow(page, width: int) -> list[str]:
    """A problem when the page scrolls sideways at `width` CSS pixels, naming what sticks out."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = ", ".join(page.evaluate(_STICKING_OUT, width))
        return [f"scrolls sideways at {width} px wide (scrollWidth {scroll_width}): {culprits}"]
    return []
