"""Checking each distinct page once: fingerprints of what a browser check depends on.

The browser gates visit many URLs whose pages are the same (the sign-in page that every
protected URL redirects to; the FAQ for two staff roles). A check of the same HTML with
the same CSS and scripts finds the same, so its findings are reused:

- `page_key`: the HTML itself, minus signed tokens (CSRF) and return addresses (`next=`).
  axe-core, the console and the layout depend on nothing else.
- `shape_key`: the elements and their structural attributes, without text or language.
  Whether a page has its heading and working forms without JavaScript depends on
  nothing else, so one language stands for the others.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

_SIGNED_TOKEN = re.compile(rb"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")
_RETURN_TO = re.compile(rb"([?&;])next=[^\"'&\s]*")


def is_html(response) -> bool:
    return "text/html" in response.headers.get("content-type", "")


def page_key(body: bytes) -> str:
    """The page's HTML, tokens and return addresses left out."""
    normal = _RETURN_TO.sub(rb"\1next=NEXT", _SIGNED_TOKEN.sub(b"TOKEN", body))
    return hashlib.sha256(normal).hexdigest()


#: Attributes whose value shapes the page; of the others only presence (and emptiness)
#: counts, and language and ARIA state are left out altogether.
_SHAPING = {"id", "class", "method", "type", "role", "hidden", "name", "for", "tabindex",
            "rel", "disabled"}
_LANGUAGE = {"lang", "hreflang"}


class _Shape(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        kept = []
        for name, value in sorted(attrs):
            if name in _LANGUAGE or name.startswith("aria-"):
                continue
            kept.append(f"{name}={value}" if name in _SHAPING else
                        f"{name}={'*' if (value or '').strip() else ''}")
        self.parts.append(f"<{tag} {' '.join(kept)}>")

    def handle_endtag(self, tag):
        self.parts.append(f"</{tag}>")


def shape_key(body: bytes) -> str:
    """The page's elements and structural attributes, without text or language."""
    parser = _Shape()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    return hashlib.sha256("".join(parser.parts).encode()).hexdigest()


class CheckedPages:
    """Findings per key, for the whole session: a page with a known key is not loaded again.

    Otherwise the browser loads the URL and `run(response)` checks it, filed under the
    key of what the browser really got (a GET with side effects, such as a one-time link,
    may serve something else the second time).
    """

    def __init__(self, key_of, wait_until: str = "load") -> None:
        self.key_of = key_of
        self.wait_until = wait_until
        self.findings: dict[str, list[str]] = {}

    def check(self, page, url: str, known: str, run) -> tuple[str, list[str]]:
        if known in self.findings:
            return known, self.findings[known]
        response = page.goto(url, wait_until=self.wait_until)
        key = self.key_of(response.body()) if response and is_html(response) else known
        if key not in self.findings:
            self.findings[key] = run(response)
        return key, self.findings[key]
