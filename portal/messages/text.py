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


#: Where one paragraph ends and the next begins: a blank line (spaces allowed).
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LINK = '<a href="{}" rel="noopener noreferrer nofollow">{}</a>'


def _link(address: str) -> str:
    href = address if address.lower().startswith("http") else f"https://{address}"
    return _LINK.format(escape(href), escape(address))


def _linked(text: str) -> str:
    """Text with its addresses as links, everything else escaped (as markup, in a str).

    Addresses never span lines (no whitespace in one), so a paragraph is done at once.
    """
    parts: list[str] = []
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
    if not parts:
        return str(escape(text))
    parts.append(escape(text[position:]))
    return "".join(parts)


def message_html(text: str | None) -> Markup:
    """The text as paragraphs (blank lines) with line breaks, links made safe."""
    paragraphs = _PARAGRAPH_BREAK.split((text or "").replace("\r\n", "\n").strip())
    return Markup("\n".join("<p>" + _linked(p).replace("\n", "<br>\n") + "</p>"
                             for p in paragraphs if p.strip()))
