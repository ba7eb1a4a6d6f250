"""Message text on a page: plain text, its line breaks kept, web addresses made links.

Nothing a person typed ever reaches a page as markup: every piece is escaped, and only
addresses that start with http:// or https:// (or www.) become links, which open
without passing on where they came from.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: A web address: scheme or www., then no spaces, quotes or angle brackets.
_ADDRESS = re.compile(r"""\b(?:https?://|www\.)[^\s<>"'`]+""", re.IGNORECASE)
#: Punctuation that ends a sentence rather than the address.
_TRAILING = ".,;:!?)]}"


def _link(address: str) -> Markup:
    href = address if address.lower().startswith("http") else f"https://{address}"
    return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(href,
                                                                                   address)


def _line(text: str) -> Markup:
    """One line with its addresses as links, everything else escaped."""
    parts: list[Markup] = []
    position = 0
    for match in _ADDRESS.finditer(text):
        address = match.group(0)
        while address and address[-1] in _TRAILING:
            address = address[:-1]
        if len(address) <= len("www."):
            continue
        parts.append(escape(text[position:match.start()]))
        parts.append(_link(address))
        position = match.start() + len(address)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def message_html(text: str | None) -> Markup:
    """The text as paragraphs (blank lines) with line breaks, links made safe."""
    paragraphs = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_line(line) for line in p.split("\n")))
        for p in paragraphs if p.strip()
    )
