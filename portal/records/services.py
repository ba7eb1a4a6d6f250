"""The rules of the record pages: what counts as a result, how values read, which items show.

Every page loads what it shows in a fixed number of queries, whatever the length of the
record: lists are paginated or bounded in SQL, never filtered or counted in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import url_for
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement, Select

from portal.extensions import db
from portal.i18n import fmt_number, format_locale
from portal.i18n import translate as _
from portal.models import Patient
from portal.paging import Page, paginate
from portal.records.models import RecordItem
from portal.types import utcnow

#: Clinical statuses under which a medicine or condition counts as current.
CURRENT_MEDICATION = ("active", "on-hold")
CURRENT_CONDITION = ("active", "recurrence", "relapse")
#: Kinds the record pages list, and the order the overview names them in.
LISTED_KINDS = ("observation", "encounter", "medication", "condition", "allergy",
                "immunization", "procedure")
#: UCUM codes as a patient reads them.
UNITS = {"mm[Hg]": "mmHg", "10*3/uL": "10³/µL", "10*6/uL": "10⁶/µL", "10*9/L": "10⁹/L",
         "10*12/L": "10¹²/L", "kg/m2": "kg/m²", "Cel": "°C", "[degF]": "°F", "/min": "/min",
         "{score}": "", "{nominal}": "", "1": ""}


#: The FHIR status of an item the clinic recorded in error: it shows nowhere.
ENTERED_IN_ERROR = "entered-in-error"


def not_in_error(*, as_proxy: bool) -> ColumnElement:
    """Items the clinic marked as entered in error never show; nor, when the reader acts for
    the patient (`as_proxy`: a parent, a carer), items staff marked confidential.

    `as_proxy` has no default: every caller says who reads (a view asks the access gate;
    staff work passes False), so none can forget it.
    """
    shown = or_(RecordItem.status.is_(None), RecordItem.status != ENTERED_IN_ERROR)
    if as_proxy:
        return and_(shown, RecordItem.confidential.is_(False))
    return shown


def items_of(patient: Patient, kind: str, *, as_proxy: bool) -> Select:
    """The patient's items of `kind` that may show (results: released ones)."""
    statement = select(RecordItem).where(RecordItem.patient_id == patient.id,
                                         RecordItem.kind == kind,
                                         not_in_error(as_proxy=as_proxy))
    if kind == "observation":
        statement = statement.where(is_result())
    return statement


def is_result() -> ColumnElement:
    """An observation a patient sees as a result: released, and a laboratory test or a value."""
    return and_(
        RecordItem.kind == "observation",
        RecordItem.released_at.is_not(None),
        or_(RecordItem.category == "laboratory", RecordItem.value_num.is_not(None),
            RecordItem.value_text.is_not(None)),
    )


def newest_first(statement: Select) -> Select:
    """Most recent first; items without a date last; ties in a stable order."""
    return statement.order_by(RecordItem.start_at.desc().nulls_last(), RecordItem.id.desc())


def find_item(patient: Patient, kind: str, item_id: int, *,
              as_proxy: bool) -> RecordItem | None:
    """The patient's item `item_id` of `kind`, if it exists and may show; else None."""
    return db.session.scalar(items_of(patient, kind, as_proxy=as_proxy)
                             .where(RecordItem.id == item_id))


def list_page(patient: Patient, kind: str, page: int, per_page: int | None = None, *,
              as_proxy: bool) -> Page:
    """One page of the patient's items of `kind`, newest first."""
    return paginate(newest_first(items_of(patient, kind, as_proxy=as_proxy)), page, per_page)


def current_first_page(patient: Patient, kind: str, current: tuple[str, ...], page: int,
                       per_page: int | None = None, *, as_proxy: bool) -> Page:
    """One page of medicines or conditions: the current ones first, then the others."""
    statement = items_of(patient, kind, as_proxy=as_proxy).order_by(
        case((RecordItem.status.in_(current), 0), else_=1),
        RecordItem.start_at.desc().nulls_last(), RecordItem.id.desc())
    return paginate(statement, page, per_page)


@dataclass
class Overview:
    """How many items of each kind the record holds, and how many results are new."""

    counts: dict[str, int] = field(default_factory=dict)
    new_results: int = 0


def overview(patient: Patient, *, as_proxy: bool) -> Overview:
    """The counts per kind of what the record pages show, in one grouped query."""
    shown = or_(RecordItem.kind != "observation", is_result())
    unseen = case((and_(RecordItem.kind == "observation", RecordItem.seen_at.is_(None)), 1),
                  else_=0)
    rows = db.session.execute(
        select(RecordItem.kind, func.count(), func.sum(unseen))
        .where(RecordItem.patient_id == patient.id, RecordItem.kind.in_(LISTED_KINDS),
               not_in_error(as_proxy=as_proxy), shown)
        .group_by(RecordItem.kind))
    result = Overview(counts=dict.fromkeys(LISTED_KINDS, 0))
    for kind, count, new in rows:
        result.counts[kind] = count
        if kind == "observation":
            result.new_results = int(new or 0)
    return result


def mark_seen(item: RecordItem) -> None:
    """Note that the patient has opened the result (it is no longer "new").

    Saved at once in a transaction of its own, so that the page's read stays a read (the
    audit line after it never carries other changes) and the loaded rows stay loaded.
    """
    if item.seen_at is not None:
        return
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(update(RecordItem).where(RecordItem.id == item.id,
                                                    RecordItem.seen_at.is_(None))
                           .values(seen_at=now))
    set_committed_value(item, "seen_at", now)


def precision(value: Decimal) -> int:
    """How many decimals a value reads best with.

    Three significant digits (94.03117346500946 reads 94.0, 5.4321 reads 5.43, 0.012345
    reads 0.0123), but never rounding whole digits away (1234.5 reads 1235) and never more
    decimals than the laboratory sent (5.4 stays 5.4, 140 stays 140).
    """
    value = abs(value)
    if value == 0:
        return 0
    sent = precision_sent(value)
    significant = max(0, 2 - value.adjusted())
    return min(sent, significant)


def rounded(value: Decimal) -> tuple[Decimal, int]:
    """The value rounded for display, and its number of decimals."""
    decimals = precision(value)
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), decimals


def display_number(value: Decimal | None, decimals: int | None = None, *,
                   notation: str | None = None) -> str:
    """A number in the reader's notation, rounded as `precision` says unless `decimals`.

    `notation`: the reader's `format_locale()`, when the caller looked it up already.
    """
    if value is None:
        return ""
    if decimals is None:
        value, decimals = rounded(value)
    return fmt_number(value, decimals, notation=notation)


def display_unit(unit: str | None) -> str:
    """A unit as a patient reads it: mmHg rather than mm[Hg]."""
    if not unit:
        return ""
    return UNITS.get(unit, unit)


def display_value(item: RecordItem, *, notation: str | None = None) -> str:
    """The result as a person reads it: "94.0 mg/dL" (in their notation), or the text sent
    (a coded answer, such as a smoking status, in the reader's language)."""
    coded = (item.resource or {}).get("valueCodeableConcept") if item.value_text else None
    if coded:
        from portal.terminology.services import friendly_concept

        return friendly_concept(coded, item.value_text)
    if item.value_num is not None:
        return " ".join(part for part in (display_number(item.value_num, notation=notation),
                                          display_unit(item.unit)) if part)
    text = item.value_text or ""
    for code, shown in UNITS.items():
        if shown and code in text:
            text = text.replace(code, shown)
    return text


def reference_range(item: RecordItem, *, notation: str | None = None) -> str | None:
    """The usual range, e.g. "3.5–5.0 mmol/L", or None when the laboratory gave none."""
    low, high = item.ref_low, item.ref_high
    decimals = max((precision_sent(v) for v in (low, high) if v is not None), default=0)
    unit = display_unit(item.unit)
    if low is not None and high is not None:
        shown = (f"{display_number(low, decimals, notation=notation)}–"
                 f"{display_number(high, decimals, notation=notation)}")
    elif low is not None:
        shown = _("%(value)s or more", value=display_number(low, decimals, notation=notation))
    elif high is not None:
        shown = _("up to %(value)s", value=display_number(high, decimals, notation=notation))
    else:
        return item.ref_text or None
    return f"{shown} {unit}".strip()


@dataclass(frozen=True, slots=True)
class ResultRow:
    """What one row of a results table shows of `item`: its friendly name (and the source's
    own name when it differs), its value and its usual range (None when none was given)."""

    item: RecordItem
    name: str
    source: str | None
    value: str
    usual: str | None


def result_rows(items: list[RecordItem], names: list | None = None) -> list[ResultRow]:
    """The rows of a results table, with the reader's notation looked up once for the whole
    table. `names`: the items' friendly names (`Friendly`) when the caller selected them with
    the items; else they are looked up, once for the whole table."""
    if names is None:
        from portal.terminology.services import friendly_items

        names = friendly_items(items)
    notation = format_locale()
    # A test's usual range is on each of its rows (a page shows the same tests taken on
    # several days): each range is written once a table. Keyed by the numbers as sent.
    usual_of: dict[tuple, str | None] = {}
    rows = []
    for item, found in zip(items, names, strict=True):
        key = (str(item.ref_low), str(item.ref_high), item.ref_text, item.unit)
        usual = usual_of.get(key, _UNWRITTEN)
        if usual is _UNWRITTEN:
            usual = usual_of[key] = reference_range(item, notation=notation)
        rows.append(ResultRow(item, found.name, found.source,
                              display_value(item, notation=notation), usual))
    return rows


_UNWRITTEN = object()


#: An id no item has, that `links_by_id` builds an address with.
_ID_MARKER = 9_876_543_210_123


def links_by_id(endpoint: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, item_id=..., **values)` for many ids: the router builds the address
    once, with a marker for the id that each id then takes the place of (a results page links
    dozens of results, and building an address costs as much as the rest of its row)."""
    head, _, tail = url_for(endpoint, item_id=_ID_MARKER, **values).rpartition(str(_ID_MARKER))
    return lambda item_id: f"{head}{int(item_id)}{tail}"


def precision_sent(value: Decimal) -> int:
    """The decimals a number was sent with, trailing zeros left out (5.40 counts as 5.4)."""
    return max(0, -value.normalize().as_tuple().exponent)


def dosage_text(item: RecordItem) -> str | None:
    """How to take a medicine, in the reader's language (see records/dosage.py)."""
    from portal.records.dosage import dosage_text as words
    from portal.terminology.services import friendly

    return words(item, friendly)
