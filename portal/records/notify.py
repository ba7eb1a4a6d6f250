"""The e-mail that says a clinician released new results: never which test, never a value."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.account.notify import tell_patient_side
from portal.extensions import db
from portal.models import Patient
from portal.records.models import RecordItem


def results_released(released: RecordItem) -> int:
    """Tell the patient's side that results were released (`released`: the report or the
    result). Those acting for the patient hear of it only when nothing released is
    confidential: even "a new result" would tell them that a hidden one exists."""
    patient = db.session.get(Patient, released.patient_id)
    return tell_patient_side(patient, "records", "result_released",
                             proxies=not _any_confidential(released))


def _any_confidential(released: RecordItem) -> bool:
    if released.confidential:
        return True
    if released.kind != "report":
        return False
    return bool(db.session.scalar(select(func.count()).select_from(RecordItem).where(
        RecordItem.patient_id == released.patient_id, RecordItem.report_ref == released.fhir_id,
        RecordItem.confidential.is_(True))))
