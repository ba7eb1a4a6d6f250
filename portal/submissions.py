"""One-time submission keys: a form sent twice creates nothing twice.

Every form of the portal carries a fresh random key (rendered with its CSRF token, see
`portal.forms`). When a signed-in person's POST changes something, the key is stored in
`form_submissions` by the same commit as the change, so both are saved or neither. The
answer's redirect target is added to the row once the view has answered. A second POST
with the same key (a double tap, a resend after a broken connection) changes nothing: it
is sent to the first answer's page, with a note that it was already saved. Two copies
that arrive at the same moment race for the key's primary key: the loser's whole
transaction is rolled back and it is answered like a repeat.

Sign-in and the other steps before someone is signed in carry the key but do not use
it: a repeated sign-in must sign this browser in, not point at another browser's answer.

Keys are not kept for ever: one stored form in `PURGE_ONE_IN` also forgets the keys older
than the longest session (`forget_old`). A form that old carries a CSRF token of a session
that has ended, so no repeat of it can change anything any more.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, flash, g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import ForeignKey, String, delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db
from portal.models import AuditEvent
from portal.types import UTCDateTime, utcnow

FIELD = "submission_key"
_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: One stored form in this many also forgets the keys no form can still carry.
PURGE_ONE_IN = 100


class FormSubmission(db.Model):
    """A form that changed something, by its one-time key, and where its answer led."""

    __tablename__ = "form_submissions"

    #: Keyed per person: someone else's key (copied, or a replay) never answers for them.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The first answer's redirect target; None until the view has answered, or when it
    #: answered with a page rather than a redirect (the repeat then goes to the form).
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def new_key() -> str:
    """A fresh key for one rendering of a form."""
    return secrets.token_urlsafe(24)


def submission_key_input() -> Markup:
    """The hidden input with a fresh key (PortalForm's `{{ form.csrf_token }}` adds it)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(new_key())}">')


def form_keys() -> Markup:
    """`{{ form_keys() }}` in a template's form: its CSRF token and a fresh submission key."""
    from flask_wtf.csrf import generate_csrf

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                  ) + submission_key_input()


def _sent_key() -> str | None:
    key = request.form.get(FIELD, "") if request.method == "POST" else ""
    return key if _KEY.match(key) else None


def _first_answer(key: str, user_id: int) -> Response | None:
    from portal.rendering import redirect_after_post

    row = db.session.scalar(select(FormSubmission).where(FormSubmission.key == key,
                                                         FormSubmission.user_id == user_id))
    if row is None:
        return None
    flash(_("This was already sent, and it was saved once."), "info")
    return redirect_after_post(row.location or request.path)


def answer_repeat() -> Response | None:
    """Before a view: a POST whose key was used already gets the first answer's page."""
    key = _sent_key()
    if key is None or not current_user.is_authenticated:
        return None
    repeat = _first_answer(key, current_user.id)
    if repeat is not None:
        return repeat
    g.submission = {"key": key, "user_id": current_user.id, "changed": False,
                    "recorded": False}
    return None


def answer_race(error: Exception) -> Response | None:
    """The loser of two copies sent at once: its commit hit the key; show the first answer."""
    pending = g.get("submission") if has_request_context() else None
    if not (pending and isinstance(error, IntegrityError)
            and "form_submissions" in str(error.orig).lower() + str(error.statement).lower()):
        return None
    db.session.rollback()
    return _first_answer(pending["key"], pending["user_id"])


def record_location(response: Response) -> Response:
    """After a view: note where the first answer led, for the repeats to come."""
    pending = g.get("submission")
    if not pending or not pending.get("committed"):
        return response
    location = (response.headers.get("HX-Redirect") or response.headers.get("HX-Location")
                or (response.headers.get("Location") if 300 <= response.status_code < 400
                    else None))
    noted = bool(location and not location.startswith("{"))
    if noted:
        db.session.execute(update(FormSubmission)
                           .where(FormSubmission.user_id == pending["user_id"],
                                  FormSubmission.key == pending["key"])
                           .values(location=location[:500]))
    if random.randrange(PURGE_ONE_IN) == 0:
        forget_old(utcnow())
        noted = True
    if noted:
        db.session.commit()
    return response


def forget_old(now: datetime) -> int:
    """Delete the keys stored before the longest session could have begun (in the open
    transaction); how many. Their forms' CSRF tokens belong to sessions that have ended."""
    cutoff = now - timedelta(hours=current_app.config["SESSION_MAX_HOURS"] + 1)
    return db.session.execute(delete(FormSubmission).where(
        FormSubmission.created_at < cutoff).execution_options(
        synchronize_session=False)).rowcount


def _note_change(session, flush_context, instances) -> None:
    pending = g.get("submission") if has_request_context() else None
    if pending and not pending["changed"]:
        touched = [*session.new, *session.dirty, *session.deleted]
        pending["changed"] = any(not isinstance(item, (AuditEvent, FormSubmission))
                                 for item in touched)


def _note_statement(state) -> None:
    pending = g.get("submission") if has_request_context() else None
    if pending and not pending["changed"] and (state.is_update or state.is_delete
                                               or state.is_insert):
        pending["changed"] = True


def _record_key(session) -> None:
    """Before a commit that changes something: add the key, to be committed with it."""
    pending = g.get("submission") if has_request_context() else None
    if not pending or pending["recorded"]:
        return
    if not pending["changed"]:
        # The commit's own flush comes after this event: look at what it will write.
        _note_change(session, None, None)
    if pending["changed"]:
        session.add(FormSubmission(key=pending["key"], user_id=pending["user_id"]))
        pending["recorded"] = True


def _committed(session) -> None:
    pending = g.get("submission") if has_request_context() else None
    if pending and pending["recorded"]:
        pending["committed"] = True


def _forget_on_rollback(session, previous_transaction) -> None:
    """A rolled-back change took its key with it: a later commit may store it again."""
    pending = g.get("submission") if has_request_context() else None
    if pending and pending["recorded"] and not pending.get("committed"):
        pending["recorded"] = False
        pending["changed"] = False


def init_app(app: Flask) -> None:
    """Check keys before views, note the answer after; store keys with the change."""
    app.jinja_env.globals["form_keys"] = form_keys
    app.before_request(answer_repeat)
    app.after_request(record_location)
    for name, listener in (("before_flush", _note_change), ("do_orm_execute", _note_statement),
                           ("before_commit", _record_key), ("after_commit", _committed),
                           ("after_soft_rollback", _forget_on_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
