"""Asking for the password again before a change to how the account is protected.

Replacing the authenticator, switching on e-mail codes, making recovery codes, signing
out other devices, changing the e-mail address or the password: someone who found a
signed-in phone, or stole a session cookie, must not be able to do these. So each needs
the password typed within the last few minutes (PORTAL_REAUTH_MINUTES, 5 by default).
Signing in counts as typing it. Views without a password field of their own are marked
with `reauthentication_required`, which sends the person to the one confirm-password
page and back to where they were; forms that have a password field check it with
`confirm_password`, which also starts a new window.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from portal import audit
from portal.auth import sessions
from portal.forms import stash_form_data
from portal.models import User
from portal.security import verify_password

#: Session key: when this browser last gave the account's password (seconds since epoch).
REAUTH_KEY = "reauthenticated_at"


def window_seconds() -> int:
    """How long a typed password lets sign-in settings be changed."""
    return current_app.config["REAUTH_MINUTES"] * 60


def mark_reauthenticated() -> None:
    """The password was just typed in this browser: the window starts now."""
    session[REAUTH_KEY] = int(time.time())


def recently_reauthenticated() -> bool:
    """Whether this browser gave the password within the window."""
    at = session.get(REAUTH_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= window_seconds()


def confirm_password(user: User, password: str,
                     action: audit.Action = audit.Action.REAUTHENTICATED) -> bool:
    """Whether `password` is the user's. A right one starts the window and gives the browser
    a new session id; a wrong one is audited.

    A wrong password here does not count towards the sign-in lockout: the person is
    already signed in, and a lockout would only shut them out of their own settings.
    Guessing is slowed by the rate limit on every form that asks (per address).
    """
    if verify_password(user.password_hash, password or ""):
        sessions.renew_session(user)
        mark_reauthenticated()
        audit.record(audit.Action.REAUTHENTICATED, patient=user.patient_id, target=None,
                     commit=True)
        return True
    audit.record(action, patient=user.patient_id, outcome="failure", target=None, commit=True)
    return False


def reauthentication_required(view):
    """Serve the view only within the window; else ask for the password first.

    A form sent after the window ended keeps what was typed (never secrets or codes), as
    after a session timeout, and comes back filled in once the password is given.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not recently_reauthenticated():
            if request.method == "POST":
                stash_form_data()
                here = request.path
            else:
                here = request.full_path.rstrip("?")
            return redirect(url_for("auth.confirm_password", next=here), 303)
        return view(*args, **kwargs)

    return wrapped
