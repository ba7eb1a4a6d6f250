"""One FHIR resource -> the columns of one RecordItem row.

The typed columns hold what pages show and sort by; everything else stays in `resource`.
Values are kept as precise as received: rounding for display is the views' job.
"""

from __future__ import annotations

from datetime import datetime

from portal.fhir.bundles import Bundle
from portal.fhir.datatypes import (
    concept_code,
    concept_text,
    content_hash,
    first_coding,
    number,
    parse_time,
)
from portal.fhir.details import details
from portal.records.models import KINDS, RecordItem

#: FHIR resource type -> RecordItem kind
KIND_OF = {resource_type: kind for kind, resource_type in KINDS.items()}

#: The concept that names the item, where it is not `code` (Encounter has a list of types).
TITLE_FIELD = {"medication": "medicationCodeableConcept", "immunization": "vaccineCode",
               "encounter": "type"}

#: Where each kind says when it happened: (fields for the start, fields for the end).
#: A field `x` is read as `x`, `xDateTime`, `xInstant`, or the start/end of `x`/`xPeriod`.
#: Ends name periods only (and abatement): a single point in time is a start.
WHEN = {
    "observation": (("effective",), ("effectivePeriod",)),
    "report": (("effective", "issued"), ("effectivePeriod",)),
    "encounter": (("period",), ("period",)),
    "condition": (("onset", "recordedDate"), ("abatement", "onsetPeriod")),
    "procedure": (("performed",), ("performedPeriod",)),
    "medication": (("authoredOn",), ()),
    "immunization": (("occurrence",), ()),
    "allergy": (("onset", "recordedDate"), ("onsetPeriod",)),
}

#: Interpretation codes (v3 ObservationInterpretation) -> the flag pages show.
FLAGS = {"H": "high", "HH": "high", "HU": "high", "L": "low", "LL": "low", "LU": "low",
         "A": "abnormal", "AA": "abnormal"}

#: LOINC codes of the two blood pressure components, shown as "systolic/diastolic".
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"

#: Column lengths, so an over-long text is cut rather than refused by PostgreSQL.
_LENGTHS = {column.name: column.type.length for column in RecordItem.__table__.columns
            if getattr(column.type, "length", None)}


def record_row(fhir_id: str, resource: dict, bundle: Bundle, report_of: dict[str, str]) -> dict:
    """The RecordItem columns of one resource, except patient and release (the importer's).

    `report_of` maps an Observation's fhir id to the id of the report that lists it.
    """
    kind = KIND_OF[resource["resourceType"]]
    concept = _title_concept(kind, resource, bundle)
    coding = first_coding(concept)
    starts, ends = WHEN[kind]
    row = {
        "kind": kind, "fhir_id": fhir_id,
        "encounter_ref": bundle.resolve_id(resource.get("encounter")),
        "report_ref": report_of.get(fhir_id) if kind == "observation" else None,
        "title": concept_text(concept) or coding.get("code") or resource["resourceType"],
        "code": coding.get("code"), "code_system": coding.get("system"),
        "category": _category(resource.get("category")),
        "status": concept_code(resource.get("clinicalStatus")) or resource.get("status"),
        "start_at": _first_time(resource, starts, "start"),
        "end_at": _first_time(resource, ends, "end"),
        "value_num": None, "value_text": None, "unit": None,
        "ref_low": None, "ref_high": None, "ref_text": None, "flag": None,
        "details": details(kind, resource, bundle),
        "resource": resource, "content_hash": content_hash(resource),
    }
    if kind == "observation":
        row.update(_observed_value(resource))
    if kind in ("observation", "report"):
        row["flag"] = FLAGS.get(concept_code((resource.get("interpretation") or [None])[0]))
    return {name: _clip(name, value) for name, value in row.items()}


def _clip(name: str, value):
    """Cut a text to its column's length."""
    limit = _LENGTHS.get(name)
    if limit and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _title_concept(kind: str, resource: dict, bundle: Bundle) -> dict:
    """The CodeableConcept that names the item."""
    concept = resource.get(TITLE_FIELD.get(kind, "code"))
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if concept is None and kind == "medication":  # named by a Medication resource instead
        medication = bundle.resolve(resource.get("medicationReference"), resource)
        concept = (medication or {}).get("code")
    return concept or {}


def _category(category) -> str | None:
    """The first category code; AllergyIntolerance has plain codes, the others concepts."""
    first = (category or [None])[0] if isinstance(category, list) else category
    return first if isinstance(first, str) or first is None else concept_code(first)


def _first_time(resource: dict, fields: tuple, side: str) -> datetime | None:
    """The first time found in `fields`: a dateTime or instant, or the `side` of a period."""
    for field in fields:
        for name in (field, field + "DateTime", field + "Instant"):
            if isinstance(resource.get(name), str):
                return parse_time(resource[name])
        period = resource.get(field + "Period") or resource.get(field)
        if isinstance(period, dict) and period.get(side):
            return parse_time(period[side])
    return None


def _observed_value(resource: dict) -> dict:
    """The value columns of an Observation: a quantity, a text, or components as text."""
    values: dict = {}
    if "valueQuantity" in resource:
        quantity = resource["valueQuantity"]
        values.update(value_num=number(quantity.get("value")),
                      unit=quantity.get("unit") or quantity.get("code"))
    elif "valueCodeableConcept" in resource:
        values["value_text"] = concept_text(resource["valueCodeableConcept"])
    elif "valueString" in resource:
        values["value_text"] = resource["valueString"]
    elif "valueInteger" in resource:
        values["value_num"] = number(resource["valueInteger"])
    elif resource.get("component"):
        values["value_text"] = _components_text(resource["component"])
    ranges = resource.get("referenceRange") or []
    if ranges:  # none in Synthea's bundles; a clinic's laboratory usually sends one
        values.update(ref_low=number((ranges[0].get("low") or {}).get("value")),
                      ref_high=number((ranges[0].get("high") or {}).get("value")),
                      ref_text=ranges[0].get("text"))
    return values


def _components_text(components: list) -> str:
    """Components on one line: "109/70 mm[Hg]" for blood pressure, else "name value unit; ..."."""
    quantities = {concept_code(c.get("code")): c.get("valueQuantity") or {} for c in components}
    systolic, diastolic = quantities.get(SYSTOLIC), quantities.get(DIASTOLIC)
    if systolic and diastolic and systolic.get("value") is not None \
            and diastolic.get("value") is not None:
        # Blood pressure is read in whole mmHg; the values as received stay in details.
        pair = f"{round(number(systolic['value']))}/{round(number(diastolic['value']))}"
        return f"{pair} {systolic.get('unit') or systolic.get('code') or ''}".strip()
    return "; ".join(" ".join(str(part) for part in (
        concept_text(c.get("code")), (c.get("valueQuantity") or {}).get("value"),
        (c.get("valueQuantity") or {}).get("unit")) if part is not None) for c in components)
