"""The `details` column per kind: the small facts a page shows next to an item.

Values stay as received (numbers as JSON numbers, codes as codes): the views translate
and format them.
"""

from __future__ import annotations

from portal.fhir.bundles import Bundle
from portal.fhir.datatypes import concept_code, concept_text, first_coding
from portal.fhir.patients import person_name


def _observation(resource: dict, bundle: Bundle) -> dict:
    """The parts of a multi-part observation (blood pressure), values as received."""
    return {"components": [
        {"title": concept_text(c.get("code")), "code": concept_code(c.get("code")),
         "value": (c.get("valueQuantity") or {}).get("value"),
         "unit": (c.get("valueQuantity") or {}).get("unit")}
        for c in resource["component"]]} if resource.get("component") else {}


def _encounter(resource: dict, bundle: Bundle) -> dict:
    """Visit type, class, reason (and its code), practitioner, place and organization."""
    people = [bundle.resolve(p.get("individual"), resource)
              for p in resource.get("participant") or []]
    places = [bundle.resolve(loc.get("location"), resource)
              for loc in resource.get("location") or []]
    organization = bundle.resolve(resource.get("serviceProvider"), resource)
    return _compact({
        "type": concept_text((resource.get("type") or [None])[0]),
        "class": (resource.get("class") or {}).get("code"),
        **_reason_fields(resource, bundle),
        "practitioner": next((person_name(p) for p in people
                              if p and p["resourceType"] == "Practitioner"), None),
        "place": next((p.get("name") for p in places if p), None),
        "organization": (organization or {}).get("name"),
    })


def _medication(resource: dict, bundle: Bundle) -> dict:
    """Dosage (its text, or its dose and timing as numbers), prescriber and reason.

    Pages build the dosage from the whole Dosage kept in the resource (records/dosage.py);
    these fields serve where only details are at hand.
    """
    dosage = (resource.get("dosageInstruction") or [{}])[0]
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    dose = (dosage.get("doseAndRate") or [{}])[0].get("doseQuantity") or {}
    prescriber = bundle.resolve(resource.get("requester"), resource)
    return _compact({
        "dosage": dosage.get("text"),
        "dosage_timing": _compact({
            "dose": dose.get("value"), "dose_unit": dose.get("unit"),
            "frequency": repeat.get("frequency"), "period": repeat.get("period"),
            "period_unit": repeat.get("periodUnit"), "as_needed": dosage.get("asNeededBoolean"),
        }) or None,
        "prescriber": person_name(prescriber) if prescriber else None,
        **_reason_fields(resource, bundle),
    })


def _allergy(resource: dict, bundle: Bundle) -> dict:
    """Reactions (their manifestations, and their codes), criticality and type."""
    shown = [m for reaction in resource.get("reaction") or []
             for m in reaction.get("manifestation") or [] if concept_text(m)]
    codings = [_coding(m) for m in shown]
    return _compact({
        "reactions": [concept_text(m) for m in shown] or None,
        "reaction_codings": codings if any(codings) else None,
        "criticality": resource.get("criticality"),
        "type": resource.get("type"),
    })


def _condition(resource: dict, bundle: Bundle) -> dict:
    """Whether the diagnosis is confirmed, provisional, refuted, ..."""
    return _compact({"verification": concept_code(resource.get("verificationStatus"))})


def _procedure(resource: dict, bundle: Bundle) -> dict:
    """Why it was done."""
    return _compact(_reason_fields(resource, bundle))


def _nothing(resource: dict, bundle: Bundle) -> dict:
    """Nothing beyond the typed columns."""
    return {}


def _reason_fields(resource: dict, bundle: Bundle) -> dict:
    """The reason in words, and its coding (pages look up the reader's words by it)."""
    concept = _reason(resource, bundle)
    return {"reason": concept_text(concept) if concept else None,
            "reason_coding": _coding(concept) if concept else None}


def _reason(resource: dict, bundle: Bundle) -> dict | None:
    """The reason: a reason code, or the code of the condition referred to."""
    for concept in resource.get("reasonCode") or []:
        if concept_text(concept):
            return concept
    for reference in resource.get("reasonReference") or []:
        found = bundle.resolve(reference, resource)
        if found and concept_text(found.get("code")):
            return found.get("code")
    return None


def _coding(concept: dict) -> dict | None:
    """The system and code of a concept's first coding, or None when it has no code."""
    coding = first_coding(concept)
    return ({"system": coding.get("system"), "code": coding["code"]}
            if coding.get("code") else None)


def _compact(values: dict) -> dict:
    """Only the entries that have a value: details stay small."""
    return {key: value for key, value in values.items() if value is not None}


#: kind -> the function that makes its details
DETAILS = {"observation": _observation, "report": _nothing, "encounter": _encounter,
           "condition": _condition, "procedure": _procedure, "medication": _medication,
           "immunization": _nothing, "allergy": _allergy}


def details(kind: str, resource: dict, bundle: Bundle) -> dict:
    """The details of one item of `kind`."""
    return DETAILS[kind](resource, bundle)
