"""One item's surroundings on its own page: a test's history and report, and what one
visit brought. Each is one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from portal.extensions import db
from portal.models import Patient
from portal.records.models import RecordItem
from portal.records.services import is_result, newest_first, not_in_error
from portal.records.services_results import patient_results

#: A test's history shows its latest values, this many at most.
HISTORY_LIMIT = 24
#: A visit page lists at most this many items of each kind.
VISIT_ITEMS_LIMIT = 20
#: What a visit page shows that was recorded at the visit, in this order.
VISIT_KINDS = ("condition", "procedure", "medication", "observation")


@dataclass
class History:
    """The latest values of one test, oldest first, and how many values there are in all."""

    values: list[RecordItem]
    total: int


def history(patient: Patient, item: RecordItem, limit: int = HISTORY_LIMIT, *,
            as_proxy: bool) -> History:
    """The latest results of the same test as `item` (same code), in one query."""
    if item.code is None:
        return History([item], 1)
    rows = db.session.execute(
        newest_first(select(RecordItem, func.count().over())
                     .where(patient_results(patient, as_proxy), RecordItem.code == item.code,
                            RecordItem.code_system.is_not_distinct_from(item.code_system)))
        .limit(limit)).all()
    return History([row[0] for row in reversed(rows)], rows[0][1] if rows else 0)


def report_of(patient: Patient, item: RecordItem, *, as_proxy: bool) -> RecordItem | None:
    """The report a result belongs to, if the clinic sent one."""
    if item.report_ref is None:
        return None
    return db.session.scalar(select(RecordItem).where(
        RecordItem.patient_id == patient.id, RecordItem.kind == "report",
        not_in_error(as_proxy=as_proxy), RecordItem.fhir_id == item.report_ref))


@dataclass
class VisitItems:
    """What was recorded at one visit, per kind: the first items and how many in all."""

    items: dict[str, list[RecordItem]]
    totals: dict[str, int]


def visit_items(patient: Patient, visit: RecordItem, limit: int = VISIT_ITEMS_LIMIT, *,
                as_proxy: bool) -> VisitItems:
    """Diagnoses, procedures, medicines and results of one visit, in one query."""
    shown = and_(RecordItem.patient_id == patient.id, RecordItem.encounter_ref == visit.fhir_id,
                 RecordItem.kind.in_(VISIT_KINDS), not_in_error(as_proxy=as_proxy),
                 or_(RecordItem.kind != "observation", is_result()))
    items, totals = first_of_each_kind(
        [shown], (RecordItem.start_at.desc(), RecordItem.id), lambda kind: limit, VISIT_KINDS)
    return VisitItems(items, totals)


def first_of_each_kind(where: list, order_by: tuple, limit, kinds) -> tuple[dict, dict]:
    """The first items of each kind among those `where` selects, in `order_by`, and how many
    of each kind there are in all, in one query: ({kind: [items]}, {kind: total}).

    `limit(kind)` gives the SQL for how many of a kind to keep (a number, or e.g. a CASE on
    the kind), so a long record costs the same one query as a short one.
    """
    ranked = select(
        RecordItem.id, RecordItem.kind,
        func.row_number().over(partition_by=RecordItem.kind, order_by=order_by).label("n"),
        func.count().over(partition_by=RecordItem.kind).label("total"),
    ).where(*where).subquery()
    items, totals = {kind: [] for kind in kinds}, dict.fromkeys(kinds, 0)
    for item, total in db.session.execute(
            select(RecordItem, ranked.c.total).join(ranked, ranked.c.id == RecordItem.id)
            .where(ranked.c.n <= limit(ranked.c.kind)).order_by(ranked.c.n)):
        items[item.kind].append(item)
        totals[item.kind] = total
    return items, totals
