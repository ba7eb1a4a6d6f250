"""A short description of a device from its browser's user-agent string, e.g. "Firefox on Android".

Only the few browsers and systems people recognise are named; anything else is an
unknown device rather than a guess. The order of each list matters: a Chrome on Android
says "Linux" and "Safari" too, so the more specific names come first.
"""

from __future__ import annotations

from flask_babel import gettext as _

BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def _first(user_agent: str, known: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for marker, name in known if marker in user_agent), None)


def describe_device(user_agent: str | None) -> str:
    """The browser and system behind `user_agent`, in the reader's language."""
    agent = user_agent or ""
    browser, system = _first(agent, BROWSERS), _first(agent, SYSTEMS)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
