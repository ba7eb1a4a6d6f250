"""Checks on a page's HTML that need no browser: what the CSP forbids, the language, the size."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser

#: Budgets: a page must stay small on a 2G/3G phone (DESIGN.md, "Who uses it").
PAGE_GZIP_BUDGET = 10 * 1024
STYLESHEET_GZIP_BUDGET = 6 * 1024


def gzipped_size(body: bytes) -> int:
    """Bytes on the wire for `body` gzipped at level 6 (what most servers use)."""
    return len(gzip.compress(body, compresslevel=6, mtime=0))


class _PageParser(HTMLParser):
    """Collects what the CSP would refuse, and the `<html lang>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_langs: list[str | None] = []
        self.problems: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "html":
            self.html_langs.append(attributes.get("lang"))
        if tag == "style":
            self.problems.append(f"line {line}: <style> element (CSP: style-src 'self')")
        if tag == "script":
            self._script = {"line": line, "text": ""}
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: style= attribute on <{tag}> "
                                     "(CSP: style-src 'self')")
            elif name.startswith("on"):
                self.problems.append(f"line {line}: event handler {name}= on <{tag}> "
                                     "(CSP: script-src 'self')")
            elif name in ("href", "action", "src") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"line {line}: javascript: URL in {name}= on <{tag}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if self._script["text"].strip():
                self.problems.append(f"line {self._script['line']}: inline <script> with content "
                                     "(CSP: script-src 'self')")
            self._script = None


class _Tables(HTMLParser):
    """Collects each table's parent and the page's ids, for the scrolling-region check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, str] = {}
        self.tables: list[tuple[int, dict | None]] = []
        self._stack: list[tuple[str, dict, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            parent = self._stack[-1] if self._stack else None
            self.tables.append((self.getpos()[0],
                                parent[1] if parent and parent[0] == "div" else None))
        if tag not in _VOID:
            self._stack.append((tag, attributes, attributes.get("id")))
            if attributes.get("id"):
                self.ids.setdefault(attributes["id"], "")

    def handle_data(self, data):
        for _, _, element_id in self._stack:
            if element_id:
                self.ids[element_id] += data

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return


def table_problems(text: str) -> list[str]:
    """Tables outside a named, focusable scrolling region (the `scroll_table` macro).

    A table wider than a phone scrolls sideways inside its region; someone on a keyboard
    can only scroll it if the region takes focus, and a screen reader announces the
    region by its name, the table's caption.
    """
    parser = _Tables()
    parser.feed(text)
    parser.close()
    problems = []
    for line, region in parser.tables:
        classes = (region or {}).get("class", "").split()
        label = (region or {}).get("aria-labelledby")
        if region is None or "table-scroll" not in classes:
            problems.append(f"line {line}: <table> outside a scrolling region (scroll_table)")
        elif region.get("role") != "region" or region.get("tabindex") != "0":
            problems.append(f"line {line}: the table's scrolling region lacks role=region or "
                            "tabindex=0")
        elif not label or not parser.ids.get(label, "").strip():
            problems.append(f"line {line}: the table's scrolling region has no name "
                            f"(aria-labelledby={label!r})")
    return problems


def page_problems(body: bytes | str, lang: str) -> list[str]:
    """What is wrong with a page's HTML: inline script or style, wrong language, too big."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    problems = list(parser.problems) + table_problems(text)
    if parser.html_langs != [lang]:
        problems.append(f"<html lang> is {parser.html_langs or 'missing'}, expected {lang!r}")
    size = gzipped_size(text.encode("utf-8"))
    if size > PAGE_GZIP_BUDGET:
        problems.append(f"{size} bytes gzipped, budget {PAGE_GZIP_BUDGET}")
    return problems


#: Elements that never have an end tag (they would otherwise stay on the stack).
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


class _BoostedLinks(HTMLParser):
    """Collects the links htmx boosts: each `<a href>` whose nearest `hx-boost` (its own or
    an ancestor's) is "true", that stays on this site and opens in the same window."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._stack: list[tuple[str, str | None]] = []

    def _boosted(self, own: str | None) -> bool:
        if own is not None:
            return own == "true"
        return next((boost for _, boost in reversed(self._stack) if boost is not None),
                    None) == "true"

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        own = attributes.get("hx-boost")
        if tag == "a" and self._boosted(own):
            href = (attributes.get("href") or "").strip()
            if href.startswith("/") and not href.startswith("//") and \
                    attributes.get("target") in (None, "", "_self"):
                self.links.append(href.split("#")[0])
        if tag not in _VOID:
            self._stack.append((tag, own))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return


def boosted_links(body: bytes | str) -> list[str]:
    """The site's own links on a page that htmx follows itself and swaps into the page.

    Whatever such a link answers replaces the page's body: a file (a calendar, a PDF, a
    photo) would show as raw bytes instead of downloading. Links to files carry
    `hx-boost="false"`.
    """
    parser = _BoostedLinks()
    parser.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    parser.close()
    return list(dict.fromkeys(parser.links))
