"""Small hand-made FHIR R4 bundles for import tests, and the shared Synthea bundles."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

#: The twelve Synthea bundles every developer shares (read-only; never copied in).
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fhir" / "synthea-r4"


def urn(local_id: str) -> str:
    """A stable urn:uuid for a hand-made resource id."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, local_id)}"


def ref(local_id: str) -> dict:
    """A Reference to the hand-made resource `local_id`."""
    return {"reference": urn(local_id)}


def small_resources() -> list[dict]:
    """A patient with a visit, a glucose result in a report, a blood pressure, a medicine."""
    return copy.deepcopy([
        {"resourceType": "Patient", "id": "pat-1",
         "name": [{"use": "official", "family": "Kowalska", "given": ["Zofia12", "Maria"]}],
         "gender": "female", "birthDate": "1980-02-03",
         "telecom": [{"system": "phone", "value": "+48 600 100 200"}],
         "address": [{"line": ["ul. Lipowa 1"], "postalCode": "00-001", "city": "Warszawa",
                      "country": "PL"}]},
        {"resourceType": "Practitioner", "id": "dr-1",
         "name": [{"family": "Nowak", "given": ["Jan"], "prefix": ["Dr."]}]},
        {"resourceType": "Encounter", "id": "enc-1", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "type": [{"text": "Check-up"}], "subject": ref("pat-1"),
         "participant": [{"individual": ref("dr-1")}],
         "period": {"start": "2024-03-01T09:00:00+01:00", "end": "2024-03-01T09:20:00+01:00"}},
        {"resourceType": "Observation", "id": "obs-glucose", "status": "final",
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                   "observation-category", "code": "laboratory"}]}],
         "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0",
                              "display": "Glucose"}]},
         "subject": ref("pat-1"), "encounter": ref("enc-1"),
         "effectiveDateTime": "2024-03-01T09:10:00+01:00",
         "valueQuantity": {"value": 94.03117346500946, "unit": "mg/dL"},
         "referenceRange": [{"low": {"value": 70}, "high": {"value": 99.5},
                             "text": "70-99.5 mg/dL"}],
         "interpretation": [{"coding": [{"code": "H"}]}]},
        {"resourceType": "Observation", "id": "obs-bp", "status": "final",
         "code": {"text": "Blood Pressure"}, "subject": ref("pat-1"),
         "effectiveDateTime": "2024-03-01T09:05:00+01:00",
         "component": [
             {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
              "valueQuantity": {"value": 79.6, "unit": "mm[Hg]"}},
             {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
              "valueQuantity": {"value": 121.2, "unit": "mm[Hg]"}}]},
        {"resourceType": "DiagnosticReport", "id": "rep-1", "status": "final",
         "code": {"text": "Metabolic panel"}, "subject": ref("pat-1"),
         "effectiveDateTime": "2024-03-01T09:10:00+01:00", "result": [ref("obs-glucose")]},
        {"resourceType": "MedicationRequest", "id": "med-1", "status": "active",
         "intent": "order",
         "contained": [{"resourceType": "Medication", "id": "metformin",
                        "code": {"text": "Metformin 500 mg"}}],
         "medicationReference": {"reference": "#metformin"}, "subject": ref("pat-1"),
         "authoredOn": "2024-03-01", "requester": ref("dr-1"),
         "dosageInstruction": [{"text": "One tablet twice a day"}]},
    ])


def make_bundle(resources: list[dict], bundle_type: str = "transaction") -> dict:
    """A bundle of `resources`, each under the urn:uuid of its id."""
    entries = []
    for resource in resources:
        entry = {"fullUrl": urn(resource["id"]), "resource": resource}
        if bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def write_bundle(folder: Path, name: str, bundle) -> Path:
    """Write `bundle` (a dict, or text as it is) to `folder/name`."""
    path = folder / name
    path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle))
    return path
