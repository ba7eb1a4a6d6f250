"""Logs without health data: no query strings, form bodies, tokens or values from the database.

Names, search terms and notes travel in forms and query strings (`?q=Jansen`), and reset
and verification links carry a token in their path. So the access log keeps only the
method, the path with long tokens masked, the status, the size and the time, and every
line of the error logs passes `RedactingFilter`, which masks the same things and e-mail
addresses, and drops PostgreSQL's `DETAIL:` lines (they repeat the values of the row that
failed). SQL parameters never reach an error message at all: the engine hides them
(`hide_parameters`, see config.py). Form bodies are never logged anywhere.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

#: A path segment this long is a token (reset and e-mail links), never a word worth keeping.
_TOKEN_SEGMENT = re.compile(r"(?<=/)[^/\s\"'?#]{32,}")
#: A path followed by a query string, anywhere in a message.
_PATH_WITH_QUERY = re.compile(r"(/[^\s\"'?#]*)\?[^\s\"'#]*")
_DETAIL_LINE = re.compile(r"^\s*DETAIL:.*$\n?", re.MULTILINE)
#: An e-mail address (a mail server refusing one puts it in the error).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: Loggers whose lines may mention a request: the portal's, gunicorn's and Flask's dev server.
FILTERED_LOGGERS = ("portal", "werkzeug", "gunicorn.error", "gunicorn.access", "flask-limiter")

ACCESS_LOG_FORMAT = '%(t)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms %(p)s'
#: Requests the access log leaves out when they succeed: monitoring asks every few seconds.
QUIET_PATHS = frozenset({"/healthz"})


def safe_path(path: str) -> str:
    """A request path fit for a log: no query string, tokens replaced by `:token`."""
    return _TOKEN_SEGMENT.sub(":token", path.split("?", 1)[0])


def scrub(text: str) -> str:
    """Mask query strings, tokens in paths, e-mail addresses and PostgreSQL's DETAIL lines."""
    text = _PATH_WITH_QUERY.sub(lambda match: match.group(1), text)
    text = _DETAIL_LINE.sub("", text)
    text = _EMAIL.sub("<e-mail>", text)
    return _TOKEN_SEGMENT.sub(":token", text)


class RedactingFilter(logging.Filter):
    """Scrubs a log record's message, arguments and traceback before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def add_filter(logger: logging.Logger) -> None:
    """Attach the redacting filter to `logger` once."""
    if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
        logger.addFilter(RedactingFilter())


def init_app(app: Flask) -> None:
    """Scrub the portal's own log lines and those of the servers that run it."""
    add_filter(app.logger)
    for name in FILTERED_LOGGERS:
        add_filter(logging.getLogger(name))


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a dependency, but not on every dev box
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger (`logger_class` in gunicorn.conf.py) with a safe access line.

    The request line is rebuilt from the method and the scrubbed path; the query string,
    the referrer (which holds the previous page's query string) and every request header
    and environment value (cookies among them) are not available to the log format.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        add_filter(self.error_log)
        add_filter(self.access_log)

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = safe_path(environ.get("PATH_INFO") or "/")
        method = environ.get("REQUEST_METHOD", "-")
        atoms = {key: value for key, value in atoms.items()
                 if not (key.startswith("{") and key[-2:] in ("}i", "}e"))}
        atoms.update(r=f"{method} {path} {environ.get('SERVER_PROTOCOL', '-')}", U=path,
                     q="-", f="-")
        return atoms

    def access(self, resp, req, environ, request_time) -> None:
        status = str(getattr(resp, "status", "") or "")
        if environ.get("PATH_INFO") in QUIET_PATHS and status.startswith("200"):
            return
        super().access(resp, req, environ, request_time)
