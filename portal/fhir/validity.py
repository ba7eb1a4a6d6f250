"""Whether a record export is valid FHIR R4 and says whose record it is.

The FHIR models (R4B, see bundles.py) check each resource's elements, types and required
fields. Two rules of a record export they cannot see are checked here as well: every item
refers to the bundle's one patient, and every observation says what was observed (a value,
parts with values, the results it groups, or why there is no value).
"""

from __future__ import annotations

from collections.abc import Iterator

from fhir.resources.R4B.bundle import Bundle as BundleModel

from portal.fhir.bundles import _where

#: Resources that belong to no patient: the people, places and things items refer to.
SHARED_TYPES = {"Patient", "Practitioner", "PractitionerRole", "Organization", "Location",
                "Medication", "Device", "Substance"}

#: Where each kind of resource names its patient.
PATIENT_FIELD = {"AllergyIntolerance": "patient", "Immunization": "patient",
                 "Claim": "patient", "ExplanationOfBenefit": "patient",
                 "CarePlan": "subject", "CareTeam": "subject", "Coverage": "beneficiary",
                 "Provenance": None}

#: The elements by which an Observation says what was observed.
OBSERVED = ("dataAbsentReason", "component", "hasMember")


def problems(data: dict) -> Iterator[str]:
    """Every way the bundle falls short of a valid record export, the first found first."""
    try:
        BundleModel.model_validate(data)
    except ValueError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            yield f"{_where(data, error['loc'])}: {error['msg']}"
    entries = [e for e in data.get("entry") or [] if isinstance(e.get("resource"), dict)]
    patients = [e for e in entries if e["resource"].get("resourceType") == "Patient"]
    if len(patients) != 1:
        yield f"the bundle holds {len(patients)} Patient resources, not one"
        return
    patient = patients[0]
    addresses = {f"Patient/{patient['resource'].get('id')}", patient.get("fullUrl")} - {None}
    for number, entry in enumerate(entries):
        resource = entry["resource"]
        kind = resource.get("resourceType")
        name = f"entry {number} ({kind}/{resource.get('id')})"
        if kind in SHARED_TYPES:
            continue
        field = PATIENT_FIELD.get(kind, "patient" if "patient" in resource else "subject")
        if field is not None:
            about = (resource.get(field) or {}).get("reference")
            if about not in addresses:
                yield f"{name} {field}: does not refer to the patient"
        if kind == "Observation" and not _observed(resource):
            yield f"{name}: neither a value nor a dataAbsentReason"


def _observed(resource: dict) -> bool:
    """Whether an Observation has a value[x] or another element that stands for one."""
    return any(key.startswith("value") for key in resource) or any(
        resource.get(key) for key in OBSERVED)
