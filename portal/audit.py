"""The one way to record who did what to whose record, when and from where."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditEvent, Patient, User


def record(
    action: str,
    *,
    patient: Patient | int | None = None,
    outcome: str = "success",
    target: str | None = None,
    actor: User | None = None,
    commit: bool = False,
) -> AuditEvent:
    """Add an audit event to the session; commit at once when `commit` is true.

    Callers that change data record the event and commit once with their change, so the
    change and its audit line land together or not at all. Reads and refusals pass
    `commit=True` because nothing else is pending.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    patient_id = patient.id if isinstance(patient, Patient) else patient
    event = AuditEvent(
        action=action,
        outcome=outcome,
        patient_id=patient_id,
        actor_id=actor.id if actor is not None else None,
        target=target if target is not None else _current_target(),
    )
    if has_request_context():
        event.remote_addr = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:200] or None
    db.session.add(event)
    if commit:
        db.session.commit()
    return event


def _current_target() -> str | None:
    if not has_request_context():
        return None
    return f"{request.method} {request.path}"
