"""Results grouped by report and date, and the newest ones for the home page.

Results are paginated by group, not by row: a report (DiagnosticReport) is one group with
all its results; results sent without a report form one group per moment they were taken.
One page costs two queries: pick the page's groups (with how many there are), load their
results and reports with their friendly names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Row, Select, and_, bindparam, case, func, or_, select, type_coerce

from portal.extensions import db
from portal.i18n import fmt_date
from portal.models import Patient
from portal.paging import Page, paginate
from portal.records.models import RecordItem
from portal.records.services import (
    ResultRow,
    is_result,
    not_in_error,
    result_rows,
)

if TYPE_CHECKING:
    from portal.terminology.services import Friendly

#: Results pages show this many groups (reports, or results taken together) each.
GROUPS_PER_PAGE = 8


@dataclass
class ResultGroup:
    """Results taken together: one report's, or those sent without a report at one moment.

    The report is a row of the columns a results table shows, named as `RecordItem`'s
    attributes (see `_RESULT_SHOWN`), not a whole item, and `caption` its friendly name;
    the results are the rows of the group's table (`ResultRow`s of such rows).
    """

    at: datetime | None
    report: Row | None = None
    results: list[ResultRow] = field(default_factory=list)
    caption: Friendly | None = None


@dataclass
class DateGroup:
    """The groups of one day, as the results page heads them."""

    day: str
    groups: list[ResultGroup] = field(default_factory=list)


def patient_results(patient: Patient, as_proxy: bool):
    """The condition of the results of `patient` that `as_proxy` readers may see."""
    return and_(RecordItem.patient_id == patient.id, is_result(),
                not_in_error(as_proxy=as_proxy))


def results_page(patient: Patient, page: int, per_page: int = GROUPS_PER_PAGE, *,
                 as_proxy: bool) -> Page:
    """One page of the patient's results as `DateGroup`s, newest first."""
    listed = paginate(_result_groups(as_proxy), page, per_page, {"patient_id": patient.id})
    chosen = listed.items
    found = {(ref, loose): ResultGroup(at=at) for ref, loose, at in chosen}
    refs = [ref for ref, _, _ in chosen if ref is not None]
    moments = [loose for ref, loose, _ in chosen if ref is None and loose is not None]
    undated = any(ref is None and loose is None for ref, loose, _ in chosen)
    if found:
        _fill(found, db.session.connection().execute(
            _results_of_groups(as_proxy, bool(refs), bool(moments), undated),
            {"patient_id": patient.id, "refs": refs, "moments": moments}).all())
    listed.items = _by_day(list(found.values()))
    return listed


def _fill(found: dict, rows: list[Row]) -> None:
    """Put the reports and results of `rows` in their groups of `found`, named by the names
    that come with them, the reader's notation looked up once for the whole page."""
    from portal.terminology.services import friendly_names_joined

    results, names, groups = [], [], []
    for item, name in zip(rows, friendly_names_joined(rows), strict=True):
        if item.kind == "report":
            group = found[(item.fhir_id, None)]
            group.report, group.caption = item, name
        else:
            results.append(item)
            names.append(name)
            groups.append(found[(item.report_ref, None if item.report_ref else item.start_at)])
    for group, row in zip(groups, result_rows(results, names), strict=True):
        group.results.append(row)


@cache
def _result_groups(as_proxy: bool) -> Select:
    """The groups of the results of patient `patient_id` (a parameter: the statement is built
    once), newest first: (report_ref, loose_at, at), where `loose_at` is when results without
    a report were taken and `at` the group's latest moment."""
    loose_at = case((RecordItem.report_ref.is_(None), RecordItem.start_at), else_=None)
    latest = func.max(RecordItem.start_at)
    return (select(RecordItem.report_ref, loose_at.label("loose_at"), latest.label("at"))
            .where(RecordItem.patient_id == bindparam("patient_id"), is_result(),
                   not_in_error(as_proxy=as_proxy))
            .group_by(RecordItem.report_ref, loose_at)
            .order_by(latest.desc().nulls_last(), RecordItem.report_ref.is_(None),
                      RecordItem.report_ref))


#: What a results table shows of a result (see `services.result_rows`) or a report (its
#: caption), and what places it in its group: plain rows, their columns named as
#: `RecordItem`'s attributes, not whole items. The resource (JSON to decode) only of results
#: sent as text, as `display_value` reads it for those alone (they may be coded answers);
#: None for the others. The statements add the friendly names (`_with_names`).
_RESULT_SHOWN = (RecordItem.id, RecordItem.kind, RecordItem.fhir_id, RecordItem.report_ref,
                 RecordItem.start_at, RecordItem.title, RecordItem.code, RecordItem.code_system,
                 RecordItem.value_num, RecordItem.value_text, RecordItem.unit,
                 RecordItem.ref_low, RecordItem.ref_high, RecordItem.ref_text, RecordItem.flag,
                 RecordItem.seen_at, RecordItem.patient_note,
                 type_coerce(case((RecordItem.value_text.is_not(None), RecordItem.resource),
                                  else_=None), RecordItem.resource.type).label("resource"))


def _with_names(*columns) -> Select:
    """A select of `columns` of record items with their terms' names (outer-joined): the
    names come with the rows, not from a lookup of their own."""
    from portal.terminology.services import TERM_NAMES, Term, term_of

    return (select(*columns, *TERM_NAMES)
            .outerjoin(Term, term_of(RecordItem.code_system, RecordItem.code)))


def new_results(patient: Patient, limit: int = 5, *, as_proxy: bool) -> tuple[list, int]:
    """The newest results the patient has not opened yet, at most `limit`, and how many
    there are. Each as its `ResultRow` and when it was taken, written in the reader's
    language (medium), or None when not known."""
    from portal.terminology.services import friendly_names_joined

    rows = db.session.connection().execute(_unseen_results(as_proxy),
                                           {"patient_id": patient.id, "limit": limit}).all()
    if not rows:
        return [], 0
    written: dict[datetime, str] = {}  # results taken together: their date written once
    shown = []
    for row in result_rows(rows, friendly_names_joined(rows)):
        at = row.item.start_at
        shown.append((row, (written.get(at) or written.setdefault(at, fmt_date(at, "medium")))
                      if at else None))
    return shown, rows[0].total


@cache
def _unseen_results(as_proxy: bool) -> Select:
    """The patient's results not yet opened, with how many in all; built once."""
    return (_with_names(*_RESULT_SHOWN, func.count().over().label("total"))
            .where(RecordItem.patient_id == bindparam("patient_id"), is_result(),
                   not_in_error(as_proxy=as_proxy), RecordItem.seen_at.is_(None))
            # Of results taken together, those outside the usual range first.
            .order_by(RecordItem.start_at.desc().nulls_last(), RecordItem.flag.is_(None),
                      RecordItem.id.desc())
            .limit(bindparam("limit")))


@cache
def _results_of_groups(as_proxy: bool, refs: bool, moments: bool, undated: bool) -> Select:
    """The results of the chosen groups (the resource of those sent as text) and, in the same
    query, the groups' reports (kind "report").

    Built once per shape, with the patient and the groups as parameters: `patient_id`,
    `refs` (the reports' ids) and `moments` (when results without a report were taken).
    """
    which = []
    if refs:
        which.append(RecordItem.report_ref.in_(bindparam("refs", expanding=True)))
    if moments:
        which.append(and_(RecordItem.report_ref.is_(None),
                          RecordItem.start_at.in_(bindparam("moments", expanding=True))))
    if undated:
        which.append(and_(RecordItem.report_ref.is_(None), RecordItem.start_at.is_(None)))
    shown = and_(is_result(), or_(*which))
    if refs:
        shown = or_(shown, and_(RecordItem.kind == "report",
                                RecordItem.fhir_id.in_(bindparam("refs", expanding=True))))
    return (_with_names(*_RESULT_SHOWN)
            .where(RecordItem.patient_id == bindparam("patient_id"),
                   not_in_error(as_proxy=as_proxy), shown)
            .order_by(RecordItem.id))


def _by_day(groups: list[ResultGroup]) -> list[DateGroup]:
    """Consecutive groups of the same day under one heading (the groups are newest first)."""
    days: list[DateGroup] = []
    written: dict[datetime, str] = {}  # a report's results were mostly taken together
    for group in groups:
        day = ""
        if group.at:
            day = written.get(group.at) or written.setdefault(group.at, fmt_date(group.at))
        if not days or days[-1].day != day:
            days.append(DateGroup(day))
        days[-1].groups.append(group)
    return days
