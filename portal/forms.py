"""The base form every area uses, and the form-data stash that outlives a session timeout.

When a session times out while someone is typing, the POST cannot be accepted. Instead
of losing their words, the portal keeps what was typed (never passwords or codes) in the
new anonymous session, asks them to sign in again, and fills the same form in when they
come back to the page.
"""

from __future__ import annotations

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from werkzeug.datastructures import MultiDict
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError

from portal.files import file_facts, upload_limit, upload_limit_mb
from portal.i18n import fmt_number

STASH_KEY = "stashed_form"
#: Fields never kept: secrets, tokens and codes.
NEVER_KEPT = ("password", "code", "csrf_token", "token", "secret", "submission_key")


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


class _TokenAndKeyField(CSRFTokenField):
    """The CSRF token field, rendered together with a fresh one-time submission key, so
    that every form that shows its token (`{{ form.csrf_token }}`) carries a key too."""

    def __call__(self, **kwargs):
        from portal.submissions import submission_key_input

        return super().__call__(**kwargs) + submission_key_input()


class _TokenAndKeyCSRF(_FlaskFormCSRF):
    field_class = _TokenAndKeyField


class PortalForm(FlaskForm):
    """A Flask-WTF form that, on a GET, fills itself from stashed data for this page, and
    whose CSRF token comes with a one-time submission key (a form sent twice changes
    nothing twice)."""

    class Meta(FlaskForm.Meta):
        csrf_class = _TokenAndKeyCSRF

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


def accepted_file(form, field) -> None:
    """Validator: a chosen file must be a PDF, JPEG or PNG by its content, within the limit.

    No file chosen passes (add a FileRequired where one is needed). The type is what the
    file's first bytes show, whatever its name or the browser say.
    """
    upload = field.data
    if upload is None or not getattr(upload, "filename", None):
        return
    content_type, size = file_facts(upload)
    if size == 0:
        raise ValidationError(_l("The file is empty. Choose another file."))
    if size > upload_limit():
        raise ValidationError(_l("The file is larger than %(size)s MB. Choose a smaller "
                                 "file.", size=fmt_number(upload_limit_mb())))
    if content_type is None:
        raise ValidationError(_l("This file is not a PDF, JPEG or PNG, whatever its name "
                                 "says. Only those kinds of file can be added."))
