"""The base form every area uses, and the form-data stash that outlives a session timeout.

When a session times out while someone is typing, the POST cannot be accepted. Instead
of losing their words, the portal keeps what was typed (never passwords or codes) in the
new anonymous session, asks them to sign in again, and fills the same form in when they
come back to the page.
"""

from __future__ import annotations

from flask import request, session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

STASH_KEY = "stashed_form"
#: Fields never kept: secrets, tokens and codes.
NEVER_KEPT = ("password", "code", "csrf_token", "token", "secret")


def stash_form_data() -> None:
    """Keep the current POST's harmless fields for the same page after sign-in."""
    data = [(key, value) for key, value in request.form.items(multi=True)
            if not any(word in key.lower() for word in NEVER_KEPT) and len(value) <= 20000]
    if data:
        session[STASH_KEY] = {"path": request.path, "data": data}


def carry_stash(kept: dict) -> None:
    """Copy the stash into `kept`, the values that survive a session reset at sign-in."""
    if STASH_KEY in session:
        kept[STASH_KEY] = session[STASH_KEY]


class PortalForm(FlaskForm):
    """A Flask-WTF form that, on a GET, fills itself from stashed data for this page."""

    def __init__(self, *args, **kwargs):
        stash = session.get(STASH_KEY)
        #: True when the form was filled from what was typed before a timeout.
        self.restored = False
        if (request.method == "GET" and "formdata" not in kwargs and stash
                and stash.get("path") == request.path):
            session.pop(STASH_KEY)
            kwargs["formdata"] = MultiDict(stash["data"])
            self.restored = True
        super().__init__(*args, **kwargs)
