"""Repeat prescriptions: a patient asks for more of a medicine, the clinic decides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.clinic import current_clinic
from portal.extensions import db
from portal.messages import notify
from portal.messages.models import APPROVED, DECLINED, REQUESTED, RepeatRequest
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.records.models import RecordItem
from portal.records.services import items_of
from portal.types import utcnow

#: Medication statuses for which a repeat can be asked.
REPEATABLE = ("active", "on-hold")


def repeatable_medicine(patient: Patient, item_id: int, *, as_proxy: bool) -> RecordItem | None:
    """The patient's current medicine `item_id`, or None (another patient's is None too)."""
    return db.session.scalar(items_of(patient, "medication", as_proxy=as_proxy).where(
        RecordItem.id == item_id, RecordItem.status.in_(REPEATABLE)))


def pharmacy_choices(patient: Patient) -> list[str]:
    """The clinic's pharmacies, the one the patient chose last time first."""
    last = db.session.scalar(select(RepeatRequest.pharmacy)
                             .where(RepeatRequest.patient_id == patient.id)
                             .order_by(RepeatRequest.requested_at.desc()).limit(1))
    pharmacies = list(current_clinic().pharmacies or [])
    if last and last in pharmacies:
        pharmacies.remove(last)
        pharmacies.insert(0, last)
    return pharmacies


def open_request_for(patient: Patient, item_id: int) -> RepeatRequest | None:
    """A request for this medicine that still waits for the clinic, if any."""
    return db.session.scalar(select(RepeatRequest).where(
        RepeatRequest.patient_id == patient.id, RepeatRequest.medication_id == item_id,
        RepeatRequest.status == REQUESTED).limit(1))


def request_repeat(patient: Patient, user: User, medicine: RecordItem, pharmacy: str,
                   note: str) -> RepeatRequest:
    """Store the request (audited); it waits in the clinic's list of requests."""
    request = RepeatRequest(patient_id=patient.id, medication_id=medicine.id,
                            medication=medicine.title, pharmacy=pharmacy.strip(),
                            note=note.strip(), requested_by_id=user.id)
    db.session.add(request)
    db.session.flush()
    audit.record(audit.Action.REPEAT_REQUESTED, patient=patient, actor=user,
                 target=f"repeat:{request.id}")
    db.session.commit()
    return request


def decide(request: RepeatRequest, user: User, approve: bool, reason: str) -> None:
    """Approve or decline a waiting request (audited), then tell the patient's side."""
    if request.status != REQUESTED:
        raise ValueError("already decided")
    request.status = APPROVED if approve else DECLINED
    request.decided_by_id, request.decided_at = user.id, utcnow()
    request.reason = reason.strip()
    audit.record(audit.Action.REPEAT_APPROVED if approve else audit.Action.REPEAT_DECLINED,
                 patient=request.patient_id, actor=user, target=f"repeat:{request.id}")
    notify.prescription_decided(request.patient)
    db.session.commit()


def patient_requests(patient: Patient, page: int) -> Page:
    """One page of the patient's requests, newest first."""
    return paginate(select(RepeatRequest).where(RepeatRequest.patient_id == patient.id)
                    .order_by(RepeatRequest.requested_at.desc(), RepeatRequest.id.desc()),
                    page)


def waiting_by_medicine(patient: Patient, item_ids: list[int]) -> dict[int, RepeatRequest]:
    """The waiting requests for these medicines of the patient, by medicine (one query)."""
    if not item_ids:
        return {}
    rows = db.session.scalars(select(RepeatRequest).where(
        RepeatRequest.patient_id == patient.id, RepeatRequest.medication_id.in_(item_ids),
        RepeatRequest.status == REQUESTED))
    return {row.medication_id: row for row in rows}


def staff_requests(status: str, page: int) -> Page:
    """One page of requests for staff: waiting ones oldest first, decided ones newest first."""
    statement = (select(RepeatRequest).options(selectinload(RepeatRequest.patient),
                                               selectinload(RepeatRequest.decided_by))
                 .where(RepeatRequest.status == status if status == REQUESTED
                        else RepeatRequest.status != REQUESTED))
    order = (RepeatRequest.requested_at.asc() if status == REQUESTED
             else RepeatRequest.decided_at.desc())
    return paginate(statement.order_by(order, RepeatRequest.id), page)


def waiting_count() -> int:
    """How many requests wait for a decision."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count(RepeatRequest.id))
                             .where(RepeatRequest.status == REQUESTED)) or 0
