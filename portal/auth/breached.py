"""Passwords known to be breached: a shipped list, and optionally a k-anonymity range API.

The list is Django's 20,000 common passwords (portal/auth/data, BSD licence) with a few
published example passwords. A password is compared as typed (lower case, and without
spaces), and also by its base word: without the digits and symbols at its ends, so that
"Monkey2024!!" counts as "monkey" — the variation attackers try first.

When PORTAL_BREACHED_PASSWORDS_API names a range API in the style of Pwned Passwords,
the password is also looked up there: only the first 5 characters of its SHA-1 hash
leave the server, and the answer lists every known hash that starts with them. When
the API cannot be reached, the check is skipped with a line in the log, so an outage
there never stops anyone from choosing a password.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import cache
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request, urlopen

from flask import current_app

DATA = Path(__file__).resolve().parent / "data"
#: Digits, punctuation and spaces at either end of a password.
ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
#: A base word shorter than this is no word at all ("a1234567" has the base "a").
MIN_BASE = 4
API_TIMEOUT_SECONDS = 3


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    with gzip.open(DATA / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        words = {line.strip() for line in f}
    examples = (DATA / "example-passwords.txt").read_text(encoding="utf-8").splitlines()
    words.update(line.strip() for line in examples if line.strip() and line[0] != "#")
    words.discard("")
    return frozenset(words)


def candidates(password: str) -> set[str]:
    """The forms of `password` compared with the list."""
    lowered = password.lower()
    forms = {lowered, "".join(lowered.split())}
    base = ENDS.sub("", lowered)
    if len(base) >= MIN_BASE:
        forms |= {base, "".join(base.split())}
    return forms


def is_common(password: str) -> bool:
    """Whether `password`, or its base word, is on the shipped list."""
    return not common_passwords().isdisjoint(candidates(password))


def in_range_api(password: str) -> bool:
    """Whether the configured range API knows `password` as breached; False when it is
    off or cannot be reached (logged)."""
    base_url = current_app.config.get("BREACHED_PASSWORDS_API")
    if not base_url:
        return False
    digest = hashlib.sha1(password.encode("utf-8")).hexdigest().upper()  # noqa: S324
    prefix, suffix = digest[:5], digest[5:]
    request = Request(f"{base_url.rstrip('/')}/range/{prefix}",
                      headers={"Add-Padding": "true", "User-Agent": "patient-portal"})
    try:
        with urlopen(request, timeout=API_TIMEOUT_SECONDS) as response:
            body = response.read().decode("utf-8", "replace")
    except (URLError, OSError, ValueError) as error:
        current_app.logger.warning("Breached-password API not reachable, check skipped: %s",
                                   type(error).__name__)
        return False
    for line in body.splitlines():
        found, _, count = line.strip().partition(":")
        if found.upper() == suffix and count.strip() not in ("", "0"):
            return True
    return False


def is_breached(password: str) -> bool:
    """Whether `password` is on the shipped list or, when configured, known to the API."""
    return is_common(password) or in_range_api(password)
