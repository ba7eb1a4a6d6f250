"""A patient's record as a FHIR R4 collection Bundle that `flask portal import-fhir` reads back.

Each item is exported as the resource the clinic's system sent (`RecordItem.resource`),
so importing the export gives the same items with the same content hash. The importer
refuses a bundle with a reference it cannot resolve, and the portal keeps neither the
practitioners and organizations nor the items left out of an export (another period,
unreleased results). So every reference is made to resolve:

- to an exported item or the patient, through the entries' fullUrl or `Type/id`;
- to a minimal Practitioner, Organization or Location, rebuilt from the name the portal
  kept, where an item refers to one (visit participant, place and organization; prescriber);
- anything else that points outside the export (a visit of another period, a result not
  yet released) keeps its `display` but loses the `reference`, so that nothing left out
  can be reached, and the item imports with a changed hash.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations; importing the records area here would loop
    from portal.models import Patient
    from portal.records.models import RecordItem

#: A FHIR id: letters, digits, "-" and ".", at most 64.
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

#: (resource type, path to the Reference) -> (type of the rebuilt resource, detail naming it)
REBUILT = {
    ("Encounter", ("participant", "individual")): ("Practitioner", "practitioner"),
    ("Encounter", ("serviceProvider",)): ("Organization", "organization"),
    ("Encounter", ("location", "location")): ("Location", "place"),
    ("MedicationRequest", ("requester",)): ("Practitioner", "prescriber"),
}
#: Types a rebuilt resource may take when a relative reference names its type.
REBUILT_TYPES = ("Practitioner", "PractitionerRole", "Organization", "Location")

#: Shown instead of a reference to something the export leaves out and that had no display.
LEFT_OUT = "Not included in this export"

GENDERS = ("male", "female", "other", "unknown")


def full_url(fhir_id: str) -> str:
    """The entry address of a resource: its id when that is a UUID, else a UUID made from it.

    A name-based UUID keeps the address the same in every export of the same item.
    """
    try:
        return f"urn:uuid:{uuid.UUID(fhir_id)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, fhir_id)}"


def patient_fhir_id(patient: Patient) -> str:
    """The patient's id in the clinic's system, or a stable one made from the patient number."""
    return patient.fhir_id or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                             f"portal-patient:{patient.patient_number}"))


def patient_resource(patient: Patient) -> dict:
    """The Patient resource rebuilt from what the portal keeps about the patient."""
    resource = {
        "resourceType": "Patient",
        "id": patient_fhir_id(patient),
        "identifier": [{"use": "usual", "value": patient.patient_number}],
        "name": [{"use": "official", "family": patient.family_name,
                  "given": [patient.given_name]}],
        "gender": patient.sex if patient.sex in GENDERS else "unknown",
        "birthDate": patient.birth_date.isoformat(),
    }
    telecom = [{"system": system, "value": value} for system, value in
               (("phone", patient.phone), ("email", patient.email)) if value]
    if telecom:
        resource["telecom"] = telecom
    address = {key: value for key, value in (
        ("line", [patient.address_line] if patient.address_line else None),
        ("postalCode", patient.postal_code), ("city", patient.city),
        ("country", patient.country)) if value}
    if address:
        resource["address"] = [{"use": "home", **address}]
    return resource


def record_bundle(patient: Patient, items: Iterable[RecordItem], made_at: datetime) -> dict:
    """The collection Bundle of the patient and `items`, every reference resolvable."""
    items = list(items)
    patient_entry = patient_resource(patient)
    patient_url = _patient_url(patient_entry["id"], items)
    entries = [{"fullUrl": patient_url, "resource": patient_entry}]
    for item in items:
        entries.append({"fullUrl": full_url(item.fhir_id), "resource": item.resource})
    known = {entry["fullUrl"] for entry in entries}
    known |= {f"{e['resource']['resourceType']}/{e['resource'].get('id') or _uuid_of(e)}"
              for e in entries}
    rebuilt: dict[str, dict] = {}
    # Imported here: the terminology package loads the staff forms, which load the records.
    from portal.terminology.fhir import with_translations

    for entry, item in zip(entries[1:], items, strict=True):
        entry["resource"] = with_translations(_resolved(item, known, patient_url, rebuilt), item)
    entries += rebuilt.values()
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": made_at.isoformat(timespec="seconds"), "entry": entries}


def _uuid_of(entry: dict) -> str:
    """The id an entry without one is known by: its urn:uuid (as the importer reads it)."""
    return entry["fullUrl"].removeprefix("urn:uuid:")


def _patient_url(patient_id: str, items: list[RecordItem]) -> str:
    """The address the items use for their patient, so that their `subject` resolves."""
    for item in items:
        about = item.resource.get("subject") or item.resource.get("patient") or {}
        reference = about.get("reference") if isinstance(about, dict) else None
        if isinstance(reference, str) and reference.startswith(("urn:", "http:", "https:")):
            return reference
    return full_url(patient_id)


def _resolved(item: RecordItem, known: set[str], patient_url: str,
              rebuilt: dict[str, dict]) -> dict:
    """The item's resource with every reference resolvable (a copy only when one changes)."""
    resource = item.resource
    names_used: set[str] = set()
    changes = []
    for path, reference in _references(resource, ()):
        target = reference["reference"]
        if target.startswith("#") or target.split("/_history/")[0] in known:
            continue
        if _rebuild(resource["resourceType"], path, target, item.details, names_used, rebuilt):
            continue
        changes.append(path)
    if not changes:
        return resource
    resource = copy.deepcopy(resource)
    for path, reference in list(_references(resource, ())):
        if path not in changes:
            continue
        if path in (("subject",), ("patient",)):  # the record is about this patient only
            reference["reference"] = patient_url
            continue
        del reference["reference"]
        if not any(key in reference for key in ("display", "identifier", "extension")):
            reference["display"] = LEFT_OUT
    return resource


def _rebuild(resource_type: str, path: tuple, target: str, details: dict,
             names_used: set[str], rebuilt: dict[str, dict]) -> bool:
    """Add the minimal resource a practitioner, place or organization reference needs."""
    wanted = REBUILT.get((resource_type, tuple(p for p in path if isinstance(p, str))))
    if wanted is None:
        return False
    kind, detail = wanted
    # The portal kept one name per detail: it belongs to the first such reference.
    name = None if detail in names_used else (details or {}).get(detail)
    names_used.add(detail)
    if target in rebuilt:
        return True
    absolute = target.startswith(("urn:", "http:", "https:"))
    parts = target.split("/_history/")[0].removeprefix("urn:uuid:").split("/")
    if len(parts) >= 2 and parts[-2] in REBUILT_TYPES:
        kind = parts[-2]
    elif not absolute:
        return False
    fhir_id = parts[-1]
    if not _FHIR_ID.match(fhir_id):
        return False
    resource: dict = {"resourceType": kind, "id": fhir_id}
    if name and kind == "Practitioner":
        resource["name"] = [{"text": name}]
    elif name and kind in ("Organization", "Location"):
        resource["name"] = name
    entry = {"fullUrl": target, "resource": resource} if absolute else {"resource": resource}
    rebuilt[target] = entry
    return True


def _references(node, path: tuple):
    """(path, Reference dict) for every reference in `node`; list positions are in the path."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield path, node
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _references(value, (*path, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from _references(value, (*path, position))
