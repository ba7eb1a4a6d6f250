"""Translated error pages that always give the clinic's phone number."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.forms import STASH_KEY, stash_form_data
from portal.rendering import render
from portal.storage_failure import is_storage_failure
from portal.submissions import answer_race

#: Seconds after which a browser or proxy may try again when nothing can be stored.
RETRY_AFTER = 120

MESSAGES = {
    400: (_l("Something in the request was not right"),
          _l("The page could not handle what was sent. Go back, reload the page and try again.")),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (_l("You cannot open this page"),
          _l("Your account does not give access to this page.")),
    404: (_l("Page not found"),
          _l("We could not find this page. Check the address, or go back to the start page.")),
    405: (_l("This action is not possible here"),
          _l("The page does not accept this kind of request. "
             "Go back and use the buttons on the page.")),
    413: (_l("The file is too large"),
          _l("What you sent is larger than the portal accepts. Try a smaller file.")),
    429: (_l("Too many attempts"),
          _l("You have tried too many times in a short while. Wait a few minutes and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("Nothing you did caused this, and nothing was saved. Try again in a few minutes.")),
}


def handle_http_error(error: HTTPException):
    """Render the clinic's error page for an HTTP error."""
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if code == 401:
        return current_app.login_manager.unauthorized()
    title, text = MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    response = render("errors/error.html", status=code, code=code, title=title, text=text)
    if code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_storage_failure(error: Exception):
    """Disk full or database read-only: 503 with "nothing was saved", what was typed kept.

    (A form sent twice at the same moment also ends here: its copy lost the race for
    the submission key and gets the first answer.)
    """
    repeat = answer_race(error)
    if repeat is not None:
        return repeat
    if not is_storage_failure(error):
        return handle_unexpected(error)
    db.session.rollback()
    current_app.logger.error("Nothing can be stored (%s) on %s %s", type(error).__name__,
                             request.method, request.path)
    kept = False
    if request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        stash_form_data()
        kept = STASH_KEY in session
    response = render("errors/unavailable.html", status=503, kept=kept, back=request.path)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def handle_unexpected(error: Exception):
    """Anything unforeseen: roll back so nothing is half-saved, log it, show the 500 page."""
    db.session.rollback()
    # The path only (tokens masked by portal.logs): never the query string or the form.
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, lambda e: handle_http_error(e))
    app.register_error_handler(Exception, handle_unexpected)
    app.register_error_handler(DBAPIError, handle_storage_failure)
    app.register_error_handler(OSError, handle_storage_failure)
