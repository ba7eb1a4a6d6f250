"""Sessions kept on the server: opened at sign-in, checked on every request, ended for good.

The browser's signed cookie holds only a random session id. A session ends on sign-out,
after a spell without activity (idle timeout), after an absolute lifetime, or when the
user (or a password change, or staff disabling the account) ends it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import contains_eager

from portal.auth.models import UserSession
from portal.extensions import db
from portal.models import User
from portal.types import utcnow

SID_KEY = "sid"
#: Requests a page makes by itself (polling): they never count as using the portal.
BACKGROUND_ENDPOINTS = frozenset({"messages.unread"})
#: Seconds between two writes of `last_seen_at` for one session (not one per request).
TOUCH_EVERY = 60


def open_session(user: User) -> UserSession:
    """Start a server-side session for `user` and tie this browser's cookie to it."""
    record = UserSession(id=secrets.token_urlsafe(32), user_id=user.id,
                         remote_addr=request.remote_addr,
                         user_agent=(request.user_agent.string or "")[:200] or None)
    db.session.add(record)
    session[SID_KEY] = record.id
    return record


#: The live session's two times and its user (only the user becomes an object), with the
#: user's own record when they have one: a patient's pages ask for it next (`patient_for`),
#: and find it loaded instead of running a query of its own. Built once.
_LIVE_SESSION = (select(UserSession.created_at, UserSession.last_seen_at, User)
                 .join(User, UserSession.user_id == User.id)
                 .outerjoin(User.patient)
                 .options(contains_eager(User.patient))
                 .where(UserSession.id == bindparam("sid"),
                        UserSession.user_id == bindparam("user_id"),
                        UserSession.ended_at.is_(None)))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user of this request's live session, or None.

    One query finds the session and its user; an expired session is ended on the spot
    and the reason kept in `g.session_ended` for the sign-in page to explain.
    """
    sid = session.get(SID_KEY)
    if not sid or not user_id.isdigit():
        return None
    row = db.session.execute(_LIVE_SESSION, {"sid": sid, "user_id": int(user_id)}).first()
    if row is None:
        return None
    created_at, last_seen_at, user = row
    now = utcnow()
    config = current_app.config
    background = request.endpoint in BACKGROUND_ENDPOINTS
    if now - created_at > timedelta(hours=config["SESSION_MAX_HOURS"]):
        # A poll is signed out but does not end the session: the person's own next
        # request does, and is told why, with what they typed kept (see unauthorized).
        return None if background else _expire(sid, "expired")
    if now - last_seen_at > timedelta(minutes=config["IDLE_TIMEOUT_MINUTES"]):
        return None if background else _expire(sid, "idle")
    if not user.enabled:
        return _expire(sid, "disabled")
    if (now - last_seen_at).total_seconds() > TOUCH_EVERY and not background:
        db.session.execute(update(UserSession).where(UserSession.id == sid)
                           .values(last_seen_at=now))
        db.session.commit()
    return user


def _expire(sid: str, reason: str) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == sid)
                       .values(ended_at=utcnow(), ended_reason=reason))
    db.session.commit()
    g.session_ended = reason
    session.pop(SID_KEY, None)
    return None


def touch() -> None:
    """Mark this browser's session as in use now (the user asked to stay signed in)."""
    sid = session.get(SID_KEY)
    if sid:
        db.session.execute(update(UserSession).where(UserSession.id == sid)
                           .values(last_seen_at=utcnow()))
        db.session.commit()


def renew_session(user: User) -> None:
    """Give this browser a new session id and end the old one (after the password was typed
    again), so an id seen before the re-authentication is worth nothing after it."""
    old = session.get(SID_KEY)
    open_session(user)
    end_session(old, "renewed")
    db.session.commit()


def current_sid() -> str | None:
    return session.get(SID_KEY)


def end_session(sid: str | None, reason: str) -> None:
    """End one session (no commit: the caller commits with its audit line)."""
    if sid:
        db.session.execute(update(UserSession)
                           .where(UserSession.id == sid, UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_reason=reason))


def end_other_sessions(user: User, reason: str, keep: str | None = None) -> int:
    """End every live session of `user` except `keep`; returns how many ended."""
    stmt = (update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason))
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    return db.session.execute(stmt).rowcount


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, most recently used first."""
    cutoff = utcnow() - timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
               UserSession.last_seen_at > cutoff)
        .order_by(UserSession.last_seen_at.desc())
    ))
