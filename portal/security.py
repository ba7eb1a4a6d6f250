"""Security headers, password hashing and the session cookie rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost

#: Hash of a password nobody has: verifying against it costs the same as a real check.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker settings than today's."""
    return _hasher.check_needs_rehash(password_hash)


def set_security_headers(response: Response) -> Response:
    """Add the headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if response.mimetype == "text/html":
        # Pages hold personal data: never keep them in shared or back-button caches.
        headers.setdefault("Cache-Control", "no-store")
    return response


#: The largest id a row can have (PostgreSQL's integer). A larger number names nothing,
#: and SQLite cannot even take one beyond 2**63 as a query parameter (a 500).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number an id can be, else no match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bounded_int(value: str) -> int:
    """`type=` for `request.args.get(...)`: a number an id or page can be; else ValueError,
    so that the default is used."""
    number = int(value)
    if not -MAX_ID <= number <= MAX_ID:
        raise ValueError(f"{value!r} is out of range")
    return number


def refuse_nul_characters() -> None:
    """Answer 400 to a request carrying a NUL character in its path or parameters.

    Nobody types one, and PostgreSQL refuses NUL in every query: without this, a NUL in
    a search, a sign-in name or any form field would be a 500 there (SQLite would even
    store it). Refused before any view runs, so nothing is half-done.
    """
    if request.method == "POST":
        values = [*request.form.items(multi=True),
                  *((name, upload.filename or "") for name, upload
                    in request.files.items(multi=True))]
    else:
        values = []
    values += request.args.items(multi=True)
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in values):
        abort(400)


def use_fast_hashing() -> None:
    """Tests only: cheap argon2 settings, so a suite that signs in thousands of times is quick."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def init_app(app: Flask) -> None:
    """Attach the security headers to every response; believe only the proxies configured."""
    if app.testing and app.config.get("FAST_PASSWORD_HASHING"):
        use_fast_hashing()
    # Before any blueprint adds its routes: they parse <int:...> with the converter set now.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    proxies = app.config.get("PROXY_COUNT") or 0
    if proxies:
        # Behind nginx every request comes from 127.0.0.1: rate limits, sessions and the
        # audit trail need the client's own address, which only the proxy knows.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
