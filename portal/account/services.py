"""Rules about a user's own account."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, User

#: Audit actions a person recognises as activity on their own account.
ACCOUNT_ACTIONS = ("sign-in", "sign-out")


def recent_activity(user: User, limit: int = 10) -> list[AuditEvent]:
    """The latest sign-ins and sign-outs on `user`'s account, newest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_id == user.id, AuditEvent.action.in_(ACCOUNT_ACTIONS))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ))
