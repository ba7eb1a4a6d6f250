"""Valid FHIR R4 resources for items the portal makes itself (the demo records, for now).

Every item the portal makes goes in as a resource the importer reads, exactly as a clinic's
system would send it, so that the download holds it as valid FHIR referring to the patient.
Each function returns one resource; `subject` is the Reference to the patient.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
SNOMED, RXNORM = "http://snomed.info/sct", "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX, ATC = "http://hl7.org/fhir/sid/cvx", "http://www.whocc.no/atc"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"

#: Units as people read them -> their UCUM code, where the two differ.
UCUM_CODES = {"µmol/L": "umol/L"}

#: The portal's result flags -> v3 ObservationInterpretation codes.
INTERPRETATION = {"high": "H", "low": "L", "abnormal": "A"}


def when(moment: datetime) -> str:
    """A FHIR dateTime (with its zone) for an aware or UTC-naive datetime."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def concept(text: str, code: str | None = None, system: str | None = None) -> dict:
    """A CodeableConcept with a text, and a coding when a code is known."""
    result: dict = {"text": text}
    if code:
        result["coding"] = [{"system": system, "code": code, "display": text}
                            if system else {"code": code, "display": text}]
    return result


def named(value: str | dict) -> dict:
    """A CodeableConcept from words alone, or the concept given (words with a coding)."""
    return value if isinstance(value, dict) else concept(value)


def coded(system: str, code: str) -> dict:
    """A CodeableConcept of one code from an HL7 terminology code system."""
    return {"coding": [{"system": TERMINOLOGY + system, "code": code}]}


def reference(resource: dict) -> dict:
    """A relative Reference to `resource` (type and id)."""
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def quantity(value: Decimal | float, unit: str) -> dict:
    """A Quantity with its UCUM code."""
    return {"value": float(value), "unit": unit, "system": UCUM,
            "code": UCUM_CODES.get(unit, unit)}


def practitioner(fhir_id: str, name: str) -> dict:
    """A Practitioner known by the name written as one line."""
    return {"resourceType": "Practitioner", "id": fhir_id, "name": [{"text": name}]}


def location(fhir_id: str, name: str) -> dict:
    """A Location known by its name."""
    return {"resourceType": "Location", "id": fhir_id, "name": name}


def encounter(fhir_id: str, subject: dict, title: str, start: datetime, *, visit_class: str,
              reason: str | dict | None = None, practitioner_ref: dict | None = None,
              place_ref: dict | None = None, code: str | None = None) -> dict:
    """A finished visit."""
    resource = {"resourceType": "Encounter", "id": fhir_id, "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                          "code": visit_class},
                "type": [concept(title, code, SNOMED)], "subject": subject,
                "period": {"start": when(start)}}
    if practitioner_ref:
        resource["participant"] = [{"individual": practitioner_ref}]
    if reason:
        resource["reasonCode"] = [named(reason)]
    if place_ref:
        resource["location"] = [{"location": place_ref}]
    return resource


def observation(fhir_id: str, subject: dict, title: str, taken: datetime, *, category: str,
                code: str | None = None, status: str = "final", value: Decimal | None = None,
                unit: str | None = None, low: Decimal | None = None,
                high: Decimal | None = None, flag: str | None = None,
                components: list[tuple[str, str, Decimal, str]] | None = None,
                visit: dict | None = None) -> dict:
    """A result: a quantity, or parts (code, name, value, unit) such as blood pressure."""
    resource = {"resourceType": "Observation", "id": fhir_id, "status": status,
                "category": [coded("observation-category", category)],
                "code": concept(title, code, LOINC if code else None), "subject": subject,
                "effectiveDateTime": when(taken)}
    if visit:
        resource["encounter"] = visit
    if value is not None:
        resource["valueQuantity"] = quantity(value, unit)
    elif components:
        resource["component"] = [{"code": concept(name, part, LOINC),
                                  "valueQuantity": quantity(amount, part_unit)}
                                 for part, name, amount, part_unit in components]
    else:
        resource["dataAbsentReason"] = coded("data-absent-reason", "unknown")
    if low is not None or high is not None:
        resource["referenceRange"] = [{key: quantity(bound, unit) for key, bound in
                                       (("low", low), ("high", high)) if bound is not None}]
    if flag in INTERPRETATION:
        resource["interpretation"] = [coded("v3-ObservationInterpretation",
                                            INTERPRETATION[flag])]
    return resource


def report(fhir_id: str, subject: dict, title: str, taken: datetime, results: list[dict], *,
           code: str | None = None, visit: dict | None = None) -> dict:
    """A laboratory report listing its results."""
    resource = {"resourceType": "DiagnosticReport", "id": fhir_id, "status": "final",
                "category": [coded("v2-0074", "LAB")],
                "code": concept(title, code, LOINC if code else None), "subject": subject,
                "effectiveDateTime": when(taken), "issued": when(taken),
                "result": [reference(result) for result in results]}
    if visit:
        resource["encounter"] = visit
    return resource


def condition(fhir_id: str, subject: dict, title: str, onset: datetime, *, status: str,
              ended: datetime | None = None, visit: dict | None = None,
              code: str | None = None) -> dict:
    """A confirmed diagnosis, current ("active") or over ("resolved")."""
    resource = {"resourceType": "Condition", "id": fhir_id,
                "clinicalStatus": coded("condition-clinical", status),
                "verificationStatus": coded("condition-ver-status", "confirmed"),
                "code": concept(title, code, SNOMED), "subject": subject,
                "onsetDateTime": when(onset)}
    if ended:
        resource["abatementDateTime"] = when(ended)
    if visit:
        resource["encounter"] = visit
    return resource


def medication(fhir_id: str, subject: dict, title: str, written: datetime, *, status: str,
               dosage: dict, prescriber: dict | None = None, reason: str | dict | None = None,
               visit: dict | None = None, code: str | None = None,
               system: str = RXNORM) -> dict:
    """A prescription; `dosage` is one FHIR Dosage; `code` is in `system` (RxNorm)."""
    resource = {"resourceType": "MedicationRequest", "id": fhir_id, "status": status,
                "intent": "order", "medicationCodeableConcept": concept(title, code, system),
                "subject": subject, "authoredOn": when(written), "dosageInstruction": [dosage]}
    if visit:
        resource["encounter"] = visit
    if prescriber:
        resource["requester"] = prescriber
    if reason:
        resource["reasonCode"] = [named(reason)]
    return resource


def dosage(*, text: str | None = None, dose: int | None = None, unit: str | None = None,
           frequency: int | None = None, period: int | None = None,
           period_unit: str | None = None, as_needed: bool | None = None,
           when: str | None = None) -> dict:
    """A Dosage: written out, or as a dose and how often (and when: an EventTiming code)."""
    result: dict = {"text": text} if text else {}
    if frequency is not None:
        result["timing"] = {"repeat": {"frequency": frequency, "period": period,
                                       "periodUnit": period_unit}}
        if when:
            result["timing"]["repeat"]["when"] = [when]
    if as_needed is not None:
        result["asNeededBoolean"] = as_needed
    if dose is not None:
        result["doseAndRate"] = [{"doseQuantity": {"value": dose, "unit": unit}}]
    return result


def allergy(fhir_id: str, subject: dict, title: str, onset: datetime, *, category: str,
            reactions: list[str | dict], criticality: str, kind: str = "allergy",
            code: str | None = None) -> dict:
    """A current, confirmed allergy or intolerance with its reactions."""
    return {"resourceType": "AllergyIntolerance", "id": fhir_id,
            "clinicalStatus": coded("allergyintolerance-clinical", "active"),
            "verificationStatus": coded("allergyintolerance-verification", "confirmed"),
            "type": kind, "category": [category], "criticality": criticality,
            "code": concept(title, code, SNOMED), "patient": subject,
            "onsetDateTime": when(onset),
            "reaction": [{"manifestation": [named(reaction) for reaction in reactions]}]}


def immunization(fhir_id: str, subject: dict, title: str, given: datetime, *,
                 visit: dict | None = None, code: str | None = None) -> dict:
    """A vaccination that was given."""
    resource = {"resourceType": "Immunization", "id": fhir_id, "status": "completed",
                "vaccineCode": concept(title, code, CVX), "patient": subject,
                "occurrenceDateTime": when(given), "primarySource": True}
    if visit:
        resource["encounter"] = visit
    return resource


def procedure(fhir_id: str, subject: dict, title: str, done: datetime, *,
              reason: str | dict | None = None, visit: dict | None = None,
              code: str | None = None) -> dict:
    """A procedure that was done."""
    resource = {"resourceType": "Procedure", "id": fhir_id, "status": "completed",
                "code": concept(title, code, SNOMED), "subject": subject,
                "performedDateTime": when(done)}
    if visit:
        resource["encounter"] = visit
    if reason:
        resource["reasonCode"] = [named(reason)]
    return resource
