"""Items staff keep from people acting for the patient (for example adolescent care).

A confidential item or document still shows to the patient and to staff; the record's
queries leave it out for a proxy (`services.not_in_error`, `documents._of`), in pages and
downloads alike. Marking and unmarking are audited, naming the item but not its content.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.records.documents import documents_page
from portal.records.models import Document, RecordItem
from portal.records.services import LISTED_KINDS, not_in_error

#: Kinds staff can mark: what the record pages list, and reports (which group results).
MARKABLE = (*LISTED_KINDS, "report")
#: How the page names each kind of item.
KIND_NAMES = {"observation": _l("Result"), "report": _l("Report"), "encounter": _l("Visit"),
              "medication": _l("Medicine"), "condition": _l("Health problem"),
              "allergy": _l("Allergy"), "immunization": _l("Vaccination"),
              "procedure": _l("Procedure")}


def items_page(patient: Patient, page: int, per_page: int | None = None) -> Page:
    """One page of the record's items, confidential ones first, then newest first."""
    return paginate(
        select(RecordItem).where(RecordItem.patient_id == patient.id,
                                 RecordItem.kind.in_(MARKABLE), not_in_error(as_proxy=False))
        .order_by(RecordItem.confidential.desc(), RecordItem.start_at.desc().nulls_last(),
                  RecordItem.id.desc()), page, per_page)


def documents(patient: Patient, page: int, per_page: int | None = None) -> Page:
    """One page of the patient's documents, as staff see them (confidential ones too)."""
    return documents_page(patient, page, per_page, as_proxy=False)


def set_confidential(patient: Patient, what: str, item_id: int, confidential: bool,
                     staff: User) -> bool:
    """Mark an item ("item") or document ("document") of `patient` confidential from
    proxies, or not; False when the patient has no such thing."""
    model = RecordItem if what == "item" else Document
    found = db.session.scalar(select(model).where(model.id == item_id,
                                                  model.patient_id == patient.id))
    if found is None:
        return False
    if found.confidential != confidential:
        found.confidential = confidential
        action = (audit.Action.CONFIDENTIAL_SET if confidential
                  else audit.Action.CONFIDENTIAL_CLEARED)
        audit.record(action,
                     patient=patient, actor=staff,
                     target=f"{'record-item' if what == 'item' else 'document'}:{item_id}")
        db.session.commit()
    return True
