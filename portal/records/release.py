"""Results waiting for release: the clinicians' queue, and releasing them to the patient.

When the clinic has clinicians release results (ClinicSettings.results_need_release),
imported results and reports arrive unreleased and the patient sees nothing of them.
The queue groups them by patient and by report; a report is released with its results,
a result sent without a report on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update

from portal import audit
from portal.extensions import db
from portal.fhir.importer import RESULT_KINDS
from portal.models import Patient, User
from portal.paging import Page, clamp
from portal.records.models import RecordItem
from portal.records.services import not_in_error
from portal.types import utcnow

#: Groups (a report with its results, or one result) per page of the queue.
GROUPS_PER_PAGE = 10


class NotWaiting(Exception):
    """The result or report was released already (by someone else, a moment ago)."""


@dataclass
class WaitingGroup:
    """A report with its waiting results, or one result sent without a report.

    Released together through the report; results whose report the portal does not show
    (entered in error) are released one by one.
    """

    patient: Patient
    waiting_since: datetime
    report: RecordItem | None = None
    results: list[RecordItem] = field(default_factory=list)

    @property
    def release_ids(self) -> list[int]:
        """What a release button names: the report, else each result."""
        return [self.report.id] if self.report else [result.id for result in self.results]


def _waiting():
    """Results and reports not yet released (and not entered in error)."""
    return and_(RecordItem.kind.in_(RESULT_KINDS), RecordItem.released_at.is_(None),
                not_in_error(as_proxy=False))


#: The report a waiting item belongs to (a report is its own), and a result's own id
#: when it came without a report: together with the patient, they name its group.
_REPORT = case((RecordItem.kind == "report", RecordItem.fhir_id), else_=RecordItem.report_ref)
_ALONE = case((and_(RecordItem.kind == "observation", RecordItem.report_ref.is_(None)),
               RecordItem.id), else_=None)


def waiting_count() -> int:
    """How many groups wait for release."""
    groups = select(RecordItem.patient_id, _REPORT, _ALONE).where(_waiting()) \
        .group_by(RecordItem.patient_id, _REPORT, _ALONE)
    return db.session.scalar(select(func.count()).select_from(groups.subquery())) or 0


def waiting_page(page: int, per_page: int = GROUPS_PER_PAGE) -> Page:
    """One page of `WaitingGroup`s, by patient name, then the newest report first.

    Four queries, however many results wait: count the groups, choose the page's groups,
    load their items (and the reports they belong to), load their patients.
    """
    total = waiting_count()
    page = clamp(page, total, per_page)
    since, at = func.min(RecordItem.imported_at), func.max(RecordItem.start_at)
    chosen = db.session.execute(
        select(RecordItem.patient_id, _REPORT.label("report"), _ALONE.label("alone"),
               since.label("since"))
        .join(Patient, Patient.id == RecordItem.patient_id).where(_waiting())
        .group_by(RecordItem.patient_id, Patient.family_name, Patient.given_name,
                  _REPORT, _ALONE)
        .order_by(Patient.family_name, Patient.given_name, RecordItem.patient_id,
                  at.desc().nulls_last(), _REPORT, _ALONE)
        .limit(per_page).offset((page - 1) * per_page)).all()
    if not chosen:
        return Page([], page, per_page, total)
    patients = {p.id: p for p in db.session.scalars(
        select(Patient).where(Patient.id.in_({row.patient_id for row in chosen})))}
    groups = {(row.patient_id, row.report, row.alone): WaitingGroup(
        patients[row.patient_id], row.since) for row in chosen}
    _fill(groups, chosen)
    return Page(list(groups.values()), page, per_page, total)


def _fill(groups: dict, chosen: list) -> None:
    """Load the chosen groups' waiting items and their reports in one query."""
    which = []
    for row in chosen:
        if row.alone is not None:
            which.append(RecordItem.id == row.alone)
        else:
            which.append(and_(RecordItem.patient_id == row.patient_id,
                              or_(RecordItem.report_ref == row.report,
                                  and_(RecordItem.kind == "report",
                                       RecordItem.fhir_id == row.report))))
    for item in db.session.scalars(select(RecordItem)
                                   .where(or_(*which), not_in_error(as_proxy=False))
                                   .order_by(RecordItem.id)):
        if item.kind == "report":
            group = groups.get((item.patient_id, item.fhir_id, None))
            if group is not None:
                group.report = item
        elif item.released_at is None:
            key = (item.patient_id, item.report_ref, None if item.report_ref else item.id)
            if key in groups:
                groups[key].results.append(item)


def waiting_item(item_id: int) -> RecordItem | None:
    """The result or report `item_id`, if it is one (released or not); else None."""
    return db.session.scalar(select(RecordItem).where(
        RecordItem.id == item_id, RecordItem.kind.in_(RESULT_KINDS), not_in_error(as_proxy=False)))


def release(item: RecordItem, user: User, note: str | None) -> int:
    """Release a report with its waiting results, or one result; return how many results.

    The note, when given, goes with every item released, so the patient reads it
    wherever they open one of them. Raises NotWaiting when nothing was left to release.
    """
    now, note = utcnow(), (note or "").strip() or None
    values = {"released_at": now, "released_by_id": user.id}
    if note:
        values["patient_note"] = note
    results = 0
    if item.kind == "report":
        results = db.session.execute(
            update(RecordItem).where(
                RecordItem.patient_id == item.patient_id, RecordItem.kind == "observation",
                RecordItem.report_ref == item.fhir_id, RecordItem.released_at.is_(None),
                not_in_error(as_proxy=False))
            .values(**values).execution_options(synchronize_session=False)).rowcount
    if item.released_at is None:
        for name, value in values.items():
            setattr(item, name, value)
        if item.kind == "observation":
            results += 1
    elif not results:
        raise NotWaiting
    target = f"report:{item.id}; results:{results}" if item.kind == "report" \
        else f"result:{item.id}"
    audit.record(audit.Action.RESULTS_RELEASED, patient=item.patient_id, actor=user, target=target)
    if results:
        from portal.records.notify import results_released

        results_released(item)
    db.session.commit()
    return results
