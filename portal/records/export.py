"""What a download of the record holds: which items, for which period, in which format.

A download holds what the patient may see in the portal: items not entered in error and
results once released. Every query takes `as_proxy`: a download made by someone acting for
the patient leaves confidential items out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select
from sqlalchemy.sql import ColumnElement

from portal.clinic import current_clinic
from portal.extensions import db
from portal.fhir.export import record_bundle
from portal.fhir.importer import RESULT_KINDS
from portal.i18n import fmt_date
from portal.models import Patient
from portal.records.models import RecordItem
from portal.records.services import (
    CURRENT_CONDITION,
    CURRENT_MEDICATION,
    is_result,
    not_in_error,
)
from portal.records.services_detail import first_of_each_kind

#: format -> (media type, file name extension, shown in the browser rather than saved)
FORMATS = {
    "fhir": ("application/fhir+json", "json", False),
    "html": ("text/html", "html", True),
    "text": ("text/plain", "txt", True),
}

#: The summary's sections in the order it shows them, with the most items each lists.
SUMMARY_LIMITS = {"allergy": 50, "medication": 50, "condition": 50, "immunization": 50,
                  "observation": 30, "encounter": 20}


@dataclass(frozen=True)
class Period:
    """The days a download covers (in the clinic's time zone); no bound means no limit."""

    start: date | None = None
    end: date | None = None

    @property
    def whole(self) -> bool:
        return self.start is None and self.end is None

    def bounds(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The first moment in and the first moment after the period, as aware datetimes."""
        start = datetime.combine(self.start, time.min, zone) if self.start else None
        end = (datetime.combine(self.end + timedelta(days=1), time.min, zone)
               if self.end else None)
        return start, end

    def audit_text(self) -> str:
        """How the audit line names the period: dates only, never health content."""
        return (f"from:{self.start.isoformat() if self.start else '-'}; "
                f"to:{self.end.isoformat() if self.end else '-'}")


def _shared(patient: Patient, period: Period, as_proxy: bool) -> list[ColumnElement]:
    """The conditions every download applies: whose, released, not in error, in the period."""
    conditions = [RecordItem.patient_id == patient.id, not_in_error(as_proxy=as_proxy),
                  or_(RecordItem.kind.not_in(RESULT_KINDS), RecordItem.released_at.is_not(None))]
    start, end = period.bounds(ZoneInfo(current_clinic().timezone))
    if start is not None:
        conditions.append(RecordItem.start_at >= start)
    if end is not None:
        conditions.append(RecordItem.start_at < end)
    return conditions


def exported_items(patient: Patient, period: Period, *,
                   as_proxy: bool) -> list[RecordItem]:
    """Every item a FHIR download holds, in one query, oldest first."""
    return list(db.session.scalars(
        select(RecordItem).where(*_shared(patient, period, as_proxy))
        .order_by(RecordItem.start_at.asc().nulls_first(), RecordItem.id)))


def fhir_json(patient: Patient, period: Period, made_at: datetime, *,
              as_proxy: bool) -> bytes:
    """The record as a FHIR R4 collection Bundle, UTF-8 JSON."""
    items = exported_items(patient, period, as_proxy=as_proxy)
    bundle = record_bundle(patient, items, made_at)
    from portal.corrections.services import tag_bundle

    tag_bundle(bundle, items)
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Summary:
    """The summary's sections: kind -> its first items, and how many there are in all."""

    patient: Patient
    period: Period
    made_at: datetime
    items: dict[str, list[RecordItem]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


def summary(patient: Patient, period: Period, made_at: datetime, *,
            as_proxy: bool) -> Summary:
    """Allergies, current medicines, health problems, vaccinations, latest results and visits.

    One query, whatever the length of the record: each section is cut in SQL to its limit
    and counted with a window function.
    """
    shown = or_(and_(RecordItem.kind == "medication", RecordItem.status.in_(CURRENT_MEDICATION)),
                and_(RecordItem.kind == "observation", is_result()),
                RecordItem.kind.in_(("allergy", "condition", "immunization", "encounter")))
    current_first = case((and_(RecordItem.kind == "condition",
                               RecordItem.status.in_(CURRENT_CONDITION)), 0), else_=1)
    items, totals = first_of_each_kind(
        [*_shared(patient, period, as_proxy), shown],
        (current_first, RecordItem.start_at.desc().nulls_last(), RecordItem.id.desc()),
        lambda kind: case(SUMMARY_LIMITS, value=kind, else_=0), SUMMARY_LIMITS)
    return Summary(patient, period, made_at, items, totals)


def filename(patient: Patient, fmt: str, made_at: datetime) -> str:
    """The download's file name, e.g. health-record-P-100001-2026-03-03.json."""
    number = "".join(c for c in patient.patient_number if c.isalnum() or c == "-")
    return f"health-record-{number}-{made_at.date().isoformat()}.{FORMATS[fmt][1]}"


def period_words(period: Period) -> str:
    """What a download covers, in words: the whole record, or from a day to a day."""
    if period.whole:
        return _("The whole record")
    if period.start and period.end:
        return _("From %(first)s to %(last)s", first=fmt_date(period.start),
                 last=fmt_date(period.end))
    if period.start:
        return _("From %(first)s on", first=fmt_date(period.start))
    return _("Up to %(last)s", last=fmt_date(period.end))


def condition_status(item: RecordItem) -> str:
    """Whether a health problem is current, in words."""
    if item.status in CURRENT_CONDITION:
        return _("Current")
    return _("Resolved") if item.status == "resolved" else _("No longer current")
