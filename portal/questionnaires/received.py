"""Forms patients sent, as staff work through them: new until someone marks one handled."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.questionnaires.models import FormResponse
from portal.types import utcnow

#: The two lists staff switch between.
STATES = ("new", "handled")


def _sent():
    return select(FormResponse).where(FormResponse.status == "sent")


def received_page(state: str, page: int) -> Page:
    """Sent forms of every patient: the new ones oldest first (the longest waiting at the
    top), the handled ones most recently handled first (two queries)."""
    statement = _sent().options(joinedload(FormResponse.patient),
                                joinedload(FormResponse.questionnaire),
                                joinedload(FormResponse.handled_by))
    if state == "handled":
        statement = statement.where(FormResponse.handled_at.is_not(None)).order_by(
            FormResponse.handled_at.desc(), FormResponse.id.desc())
    else:
        statement = statement.where(FormResponse.handled_at.is_(None)).order_by(
            FormResponse.submitted_at, FormResponse.id)
    return paginate(statement, page)


def new_count(patient: Patient | None = None) -> int:
    """How many sent forms no one has handled yet, of one patient or of all (one query)."""
    statement = select(func.count(FormResponse.id)).where(
        FormResponse.status == "sent", FormResponse.handled_at.is_(None))
    if patient is not None:
        statement = statement.where(FormResponse.patient_id == patient.id)
    return db.session.scalar(statement) or 0


def mark_handled(response: FormResponse, user: User) -> bool:
    """Mark a sent form as dealt with (audited); False when it was not sent, or is done."""
    if not response.is_sent or response.handled_at is not None:
        return False
    response.handled_at, response.handled_by_id = utcnow(), user.id
    audit.record(audit.Action.FORM_HANDLED, patient=response.patient_id, actor=user,
                 target=f"form-response:{response.id}")
    db.session.commit()
    return True
