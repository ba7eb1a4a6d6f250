"""Static files: content-hashed URLs, served by WhiteNoise as immutable and pre-compressed.

`asset_url("css/portal.css")` gives `/static/css/portal.3f2a9c1d.css`. The hash changes
whenever the file does, so browsers may keep a file for a year and never see a stale
one. Compressed copies (`.gz`, `.br`) are made at set-up by `python -m whitenoise.compress`
and picked by WhiteNoise when the browser accepts them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, current_app
from whitenoise import WhiteNoise

from portal.config import ROOT

STATIC_ROOT = ROOT / "static"
PREFIX = "/static/"
_HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")
_SERVED = {".css", ".js", ".svg", ".png", ".ico", ".woff2", ".txt"}


def _hashed_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    relative = path.relative_to(STATIC_ROOT).as_posix()
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}.{digest}.{suffix}"


def build_manifest() -> dict[str, str]:
    """Map each static file's plain name to its hashed name."""
    manifest = {}
    for path in sorted(STATIC_ROOT.rglob("*")):
        if path.is_file() and path.suffix in _SERVED:
            manifest[path.relative_to(STATIC_ROOT).as_posix()] = _hashed_name(path)
    return manifest


def asset_url(name: str) -> str | None:
    """The hashed URL of a static file, or None when the file is missing (e.g. htmx)."""
    hashed = current_app.extensions["asset_manifest"].get(name)
    return PREFIX + hashed if hashed else None


def _security_headers(headers, path: str, url: str) -> None:
    """The headers every page carries, on static files too: WhiteNoise answers before Flask,
    so the app's own after-request hook never sees these responses."""
    from portal.security import CSP

    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"


def init_app(app: Flask) -> None:
    """Serve /static/ through WhiteNoise and expose `asset_url` to templates."""
    manifest = build_manifest()
    app.extensions["asset_manifest"] = manifest
    app.jinja_env.globals["asset_url"] = asset_url
    static = WhiteNoise(
        app.wsgi_app,
        immutable_file_test=lambda path, url: bool(_HASHED.search(url)),
        max_age=3600,
        add_headers_function=_security_headers,
    )
    for plain, hashed in manifest.items():
        static.add_file_to_dictionary(PREFIX + hashed, str(STATIC_ROOT / plain))
    app.wsgi_app = static
