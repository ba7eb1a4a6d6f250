"""Insurance cover: the patient's versions, changes for staff to review, the card photo.

A change never overwrites: it adds a version flagged for review, so staff see what was
there before and what the patient says now. The card photo is saved like every upload
(portal/files.py): its type read from its bytes, in the database with the version.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.billing.models import Coverage
from portal.extensions import db
from portal.files import save_upload
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.types import utcnow

RELATIONS = ("self", "spouse", "parent", "other")


def coverage_history(patient_id: int, limit: int = 10) -> list[Coverage]:
    """The patient's versions, newest first (the first is the current one)."""
    return list(db.session.scalars(
        select(Coverage).where(Coverage.patient_id == patient_id)
        .order_by(Coverage.created_at.desc(), Coverage.id.desc()).limit(limit)))


def current_coverage(patient_id: int) -> Coverage | None:
    history = coverage_history(patient_id, limit=1)
    return history[0] if history else None


def save_coverage(patient: Patient, user: User, *, insurer: str, member_number: str,
                  holder_name: str, relation: str, valid_from: date, valid_to: date | None,
                  card: FileStorage | None = None) -> Coverage:
    """Add a new version of the patient's cover, flagged for staff to review, audited."""
    coverage = Coverage(patient_id=patient.id, insurer=insurer.strip(),
                        member_number=member_number.strip(), holder_name=holder_name.strip(),
                        relation=relation if relation in RELATIONS else "other",
                        valid_from=valid_from, valid_to=valid_to, created_by_id=user.id,
                        needs_review=not user.is_staff, file=save_upload(card))
    if coverage.file is None:
        previous = current_coverage(patient.id)
        if previous is not None:  # the card did not change: the versions share its file
            coverage.file = previous.file
    db.session.add(coverage)
    db.session.flush()
    audit.record(audit.Action.COVERAGE_CHANGED, patient=patient, actor=user,
                 target=f"coverage:{coverage.id}")
    db.session.commit()
    return coverage


def card_of(patient: Patient, coverage_id: int) -> Coverage | None:
    """The patient's cover `coverage_id` when it has a card photo, else None."""
    return db.session.scalar(select(Coverage).where(Coverage.patient_id == patient.id,
                                                    Coverage.id == coverage_id,
                                                    Coverage.file_id.is_not(None)))


def to_review_page(page: int, per_page: int | None = None) -> Page:
    """Changes patients made that staff have not reviewed yet, oldest first."""
    return paginate(
        select(Coverage).options(joinedload(Coverage.patient))
        .where(Coverage.needs_review.is_(True))
        .order_by(Coverage.created_at, Coverage.id), page, per_page)


def to_review_count() -> int:
    return db.session.scalar(select(func.count(Coverage.id))
                             .where(Coverage.needs_review.is_(True))) or 0


def mark_reviewed(coverage: Coverage, user: User) -> None:
    """Staff have checked the change (and updated their own systems)."""
    if coverage.needs_review:
        coverage.needs_review = False
        coverage.reviewed_at, coverage.reviewed_by_id = utcnow(), user.id
        audit.record(audit.Action.COVERAGE_REVIEWED, patient=coverage.patient_id, actor=user,
                     target=f"coverage:{coverage.id}")
        db.session.commit()
