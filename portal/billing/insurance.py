"""Insurance cover: the patient's versions, changes for staff to review, the card photo.

A change never overwrites: it adds a version flagged for review, so staff see what was
there before and what the patient says now. The card photo is stored like a document
(portal/records/documents.py): its type read from its bytes, kept outside the web root.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.billing.models import Coverage
from portal.billing.services import paginate_rows
from portal.extensions import db
from portal.models import Patient, User
from portal.records.documents import store_upload
from portal.records.services import Page
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
    stored = store_upload(card) if card is not None and card.filename else None
    coverage = Coverage(patient_id=patient.id, insurer=insurer.strip(),
                        member_number=member_number.strip(), holder_name=holder_name.strip(),
                        relation=relation if relation in RELATIONS else "other",
                        valid_from=valid_from, valid_to=valid_to, created_by_id=user.id,
                        needs_review=not user.is_staff,
                        **(stored.columns() if stored else {}))
    if stored is None:
        previous = current_coverage(patient.id)
        if previous is not None and previous.stored_name:  # the card did not change
            coverage.filename, coverage.content_type = previous.filename, previous.content_type
            coverage.size, coverage.stored_name = previous.size, previous.stored_name
            coverage.sha256 = previous.sha256
    db.session.add(coverage)
    try:
        db.session.flush()
        audit.record("coverage-changed", patient=patient, actor=user,
                     target=f"coverage:{coverage.id}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        if stored is not None:
            stored.path.unlink(missing_ok=True)
        raise
    return coverage


def find_coverage(patient_id: int, coverage_id: int) -> Coverage | None:
    return db.session.scalar(select(Coverage).where(Coverage.patient_id == patient_id,
                                                    Coverage.id == coverage_id))


def to_review_page(page: int, per_page: int = 20) -> Page:
    """Changes patients made that staff have not reviewed yet, oldest first."""
    return paginate_rows(
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
        audit.record("coverage-reviewed", patient=coverage.patient_id, actor=user,
                     target=f"coverage:{coverage.id}")
        db.session.commit()
