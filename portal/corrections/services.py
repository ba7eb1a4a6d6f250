"""The rules of correction requests: who may ask, what is kept, how staff decide.

A patient (or someone acting for them with both the records and the account permission)
says what is wrong with an item of the record or with their contact details; staff of
the clinic accept it (the item is marked corrected, with what changed, and the old value
is kept) or decline it with a reason the patient reads. Every step is audited.
"""

from __future__ import annotations

import calendar
import copy
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import joinedload

from portal import audit
from portal.audit import Action
from portal.clinic import current_clinic
from portal.corrections import notify
from portal.corrections.models import ACCEPTED, DECLINED, OPEN, CorrectionRequest
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.records.models import RecordItem
from portal.records.services import ENTERED_IN_ERROR, LISTED_KINDS, is_result, not_in_error
from portal.types import utcnow

#: The contact details a request about them keeps, as they were.
CONTACT_FIELDS = ("given_name", "family_name", "birth_date", "email", "phone", "address_line",
                  "postal_code", "city", "country")
#: The record pages each kind of item is shown on (the patient goes back there).
ITEM_PAGES = {"observation": "records.result", "encounter": "records.visit",
              "medication": "records.medications", "condition": "records.conditions",
              "allergy": "records.allergies", "immunization": "records.immunizations",
              "procedure": "records.procedures"}
#: How the correction status reads in a FHIR download (meta.tag).
FHIR_TAG_SYSTEM = "urn:portal:correction-status"
FHIR_TAGS = {OPEN: ("correction-requested", "Correction requested"),
             ACCEPTED: ("corrected", "Corrected after a request of the patient"),
             DECLINED: ("correction-declined", "Correction request declined")}


class AlreadyDecided(Exception):
    """The request was decided already (perhaps by a colleague a moment ago)."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(today: date) -> date:
    """The date by which a request made `today` must be decided (the clinic's setting)."""
    months = current_clinic().correction_months
    return add_months(today, 1 if months is None else months)


def find_item(patient: Patient, item_id: int, *, as_proxy: bool) -> RecordItem | None:
    """The patient's item `item_id` that the record pages show, of any listed kind."""
    return db.session.scalar(select(RecordItem).where(
        RecordItem.id == item_id, RecordItem.patient_id == patient.id,
        RecordItem.kind.in_(LISTED_KINDS), not_in_error(as_proxy=as_proxy),
        or_(RecordItem.kind != "observation", is_result())))


def item_page(item: RecordItem) -> tuple[str, dict, str]:
    """Where the item shows: (endpoint, its values, anchor): a result's or a visit's own
    page, or the list of its kind at the item's place. Patients' and staff's pages both use
    it, each with its own way to the record (staff's addresses name the patient)."""
    endpoint = ITEM_PAGES[item.kind]
    if endpoint in ("records.result", "records.visit"):
        return endpoint, {"item_id": item.id}, ""
    return endpoint, {}, f"#item-{item.id}"


def item_snapshot(item: RecordItem) -> dict:
    """What the item says now, kept with the request (plain values, no objects)."""
    return {"kind": item.kind, "title": item.title, "code": item.code,
            "code_system": item.code_system,
            "value_num": None if item.value_num is None else str(item.value_num),
            "value_text": item.value_text, "unit": item.unit}


def contact_snapshot(patient: Patient) -> dict:
    """The contact details as they are now."""
    values = {name: getattr(patient, name) for name in CONTACT_FIELDS}
    values["birth_date"] = patient.birth_date.isoformat()
    return values


def original_text(request: CorrectionRequest) -> str:
    """What the item said before (when the request was made, or before it was corrected)."""
    from portal.records.services import display_value
    from portal.terminology.services import friendly

    kept = request.original or {}
    # The name in the reader's language where the code has one, as the pages show it.
    name = friendly(kept.get("code_system"), kept.get("code"), kept.get("title") or "").name
    if kept.get("kind") != "observation":
        return name
    shown = RecordItem(value_num=Decimal(kept["value_num"]) if kept.get("value_num") else None,
                       value_text=kept.get("value_text"), unit=kept.get("unit"))
    return f"{name}: {display_value(shown)}"


def ask(patient: Patient, user: User, item: RecordItem | None, reason: str,
        details: str, today: date) -> CorrectionRequest:
    """Store a request to correct `item` (None: the contact details), with its audit line."""
    request = CorrectionRequest(
        patient_id=patient.id, record_item_id=item.id if item else None, reason=reason,
        details=(details or "").strip(), requested_by_id=user.id, requested_at=utcnow(),
        due_on=due_date(today), status=OPEN,
        original=item_snapshot(item) if item else contact_snapshot(patient))
    db.session.add(request)
    db.session.flush()
    audit.record(Action.CORRECTION_REQUESTED, patient=patient, actor=user,
                 target=f"correction:{request.id}; " + (f"record-item:{item.id}" if item
                                                       else "contact-details"))
    notify.requested(request)
    db.session.commit()
    return request


def states_for(item_ids) -> dict[int, CorrectionRequest]:
    """The latest correction request of each item, in one query (for the record pages)."""
    ids = [i for i in item_ids if i is not None]
    if not ids:
        return {}
    found: dict[int, CorrectionRequest] = {}
    for request in db.session.scalars(select(CorrectionRequest)
                                      .where(CorrectionRequest.record_item_id.in_(ids))
                                      .order_by(CorrectionRequest.id.desc())):
        found.setdefault(request.record_item_id, request)
    return found


def requests_of(patient: Patient, page: int, per_page: int = 20) -> Page:
    """The patient's requests, open ones first, newest first."""
    return paginate(select(CorrectionRequest).where(CorrectionRequest.patient_id == patient.id)
                    .order_by(case((CorrectionRequest.status == OPEN, 0), else_=1),
                              CorrectionRequest.id.desc()), page, per_page)


def staff_page(page: int, per_page: int = 20) -> Page:
    """Every patient's requests for staff: open ones first by due date, then the latest."""
    return paginate(select(CorrectionRequest).options(joinedload(CorrectionRequest.patient))
                    .order_by(case((CorrectionRequest.status == OPEN, 0), else_=1),
                              case((CorrectionRequest.status == OPEN,
                                    CorrectionRequest.due_on), else_=None),
                              CorrectionRequest.id.desc()), page, per_page)


def item_of(request: CorrectionRequest) -> RecordItem | None:
    """The record item a request is about (None for contact details or a removed item)."""
    if request.record_item_id is None:
        return None
    return db.session.get(RecordItem, request.record_item_id)


def _claim(request: CorrectionRequest, staff: User, status: str, note: str) -> None:
    """Decide an open request once: a second decision (a colleague's) raises AlreadyDecided."""
    now = utcnow()
    claimed = db.session.execute(
        update(CorrectionRequest).where(CorrectionRequest.id == request.id,
                                        CorrectionRequest.status == OPEN)
        .values(status=status, decided_by_id=staff.id, decided_at=now,
                decision_note=note.strip()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AlreadyDecided
    request.status, request.decided_by_id, request.decided_at = status, staff.id, now
    request.decision_note = note.strip()


def accept(request: CorrectionRequest, staff: User, change: str,
           corrected_value: str | None, *, remove: bool = False) -> None:
    """Accept: mark the item corrected with what changed; when staff give a new name (or,
    for a result, a new value), put it in the record and keep the old one with the request.

    `remove` takes the item out of the record instead: it is marked entered-in-error, so no
    page, download or summary shows it any more, and the request keeps what it said.
    """
    _claim(request, staff, ACCEPTED, change)
    item = item_of(request)
    value = (corrected_value or "").strip() or None
    if item is not None and remove:
        request.original, request.removed = item_snapshot(item), True
        item.status = ENTERED_IN_ERROR
    elif item is not None and value:
        request.original = item_snapshot(item)
        request.corrected_value = value
        _apply(item, value)
    target = f"correction:{request.id}" + (f"; record-item:{item.id}" if item else "")
    audit.record(Action.CORRECTION_ACCEPTED, patient=request.patient_id, actor=staff,
                 target=target + ("; removed" if request.removed else ""))
    notify.decided(request)
    db.session.commit()


def _apply(item: RecordItem, value: str) -> None:
    """Put the corrected value in the record: a result's value, any other item's name."""
    if item.kind != "observation":
        # The code named what was wrong: the pages would go on showing its friendly name.
        # The original coding stays with the request and in the stored FHIR resource.
        item.title, item.code, item.code_system = value[:300], None, None
        return
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        item.value_num, item.value_text = None, value
    else:
        item.value_num, item.value_text = (number, None) if number.is_finite() \
            else (None, value)


def decline(request: CorrectionRequest, staff: User, reason: str) -> None:
    """Decline with the reason the patient reads; the record stays as it is."""
    _claim(request, staff, DECLINED, reason)
    audit.record(Action.CORRECTION_DECLINED, patient=request.patient_id, actor=staff,
                 target=f"correction:{request.id}")
    notify.decided(request)
    db.session.commit()


#: Where each resource type names what it is (a CodeableConcept): a corrected name goes there.
_NAMED_BY = {"Condition": "code", "AllergyIntolerance": "code", "Procedure": "code",
             "MedicationRequest": "medicationCodeableConcept", "Immunization": "vaccineCode"}
_VALUES = ("valueQuantity", "valueString", "valueCodeableConcept", "valueBoolean",
           "valueInteger", "valueRange", "valueRatio")


def tag_bundle(bundle: dict, items) -> None:
    """Add each item's correction status to its resource in a FHIR download (meta.tag), and
    an accepted correction's new name or value, so the download says what the pages say.

    The resource is copied first: it is the item's stored JSON, which must not change.
    """
    from portal.fhir.export import full_url

    requests = states_for([item.id for item in items])
    by_url = {full_url(item.fhir_id): requests[item.id] for item in items if item.id in requests}
    for entry in bundle.get("entry", []):
        request = by_url.get(entry.get("fullUrl"))
        if request is None:
            continue
        resource = copy.deepcopy(entry["resource"])
        code, display = FHIR_TAGS[request.status]
        meta = resource.setdefault("meta", {})
        meta["tag"] = [*meta.get("tag", []),
                       {"system": FHIR_TAG_SYSTEM, "code": code, "display": display}]
        if request.status == ACCEPTED and request.corrected_value:
            _corrected(resource, request.corrected_value)
        entry["resource"] = resource


def _corrected(resource: dict, value: str) -> None:
    """Put a corrected name (or an observation's value) into an exported resource."""
    kind = resource.get("resourceType")
    if kind in _NAMED_BY:
        resource[_NAMED_BY[kind]] = {"text": value}
    elif kind == "Encounter":
        resource["type"] = [{"text": value}]
    elif kind == "Observation":
        quantity = resource.get("valueQuantity")
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        for key in _VALUES:
            resource.pop(key, None)
        if number is not None and number.is_finite() and quantity:
            resource["valueQuantity"] = {**quantity, "value": float(number)}
        else:
            resource["valueString"] = value
