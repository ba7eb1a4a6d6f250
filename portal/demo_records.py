"""Health records for the demo patients: results over several years, visits, medicines.

A few patients with accounts get a small record that looks like what a clinic's system
sends: reports of laboratory results (some with a reference range, some without, values
with float noise), vital signs taken at visits, diagnoses, medicines current and stopped,
an allergy, vaccinations and procedures. Items have fixed FHIR ids, so loading the demo
again adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Patient
from portal.records.models import KINDS, RecordItem

#: Patients who get a record, with a small offset so their values differ.
PATIENTS = {"P-100001": 0.0, "P-100006": 0.6, "P-100013": -0.4}

PRACTITIONER, PLACE = "Dr Pieter Jansen", "Linden Health Centre"

#: Visits: key, date, type, FHIR class, reason.
VISITS = [
    ("v1", "2022-03-10T09:20:00", "General examination of patient", "AMB", "Check-up"),
    ("v2", "2023-02-14T10:05:00", "Encounter for symptom", "AMB", "Acute bronchitis"),
    ("v3", "2024-03-12T08:45:00", "General examination of patient", "AMB", "Check-up"),
    ("v4", "2025-03-18T09:10:00", "Follow-up visit", "AMB", "Blood pressure check"),
    ("v5", "2026-01-20T08:30:00", "General examination of patient", "AMB", "Check-up"),
]

#: Tests: key, LOINC code, name, unit, usual range (low, high) or None, value per visit.
LIPIDS = [
    ("chol", "2093-3", "Total cholesterol", "mmol/L", (None, Decimal("5.0")),
     [4.81287633, 4.6, 4.78311902, 5.2201883, 5.9]),
    ("ldl", "18262-6", "LDL cholesterol", "mmol/L", (None, Decimal("3.0")),
     [2.8111, 2.7, 2.64, 3.08213, 3.7]),
    ("hdl", "2085-9", "HDL cholesterol", "mmol/L", (Decimal("1.0"), None),
     [1.32, 1.41, 1.38, 1.29, 1.25]),
    ("trig", "2571-8", "Triglycerides", "mmol/L", None,
     [1.519872, 1.62, 1.48, 1.71, 1.66]),
]
METABOLIC = [
    ("glu", "2339-0", "Glucose", "mg/dL", (Decimal("70"), Decimal("99")),
     [94.03117346500946, None, 97.5, 102.61, 104.2]),
    ("crea", "38483-4", "Creatinine", "µmol/L", (Decimal("60"), Decimal("110")),
     [78.2, None, 81.04, 83.9, 86.0]),
    ("na", "2951-2", "Sodium", "mmol/L", (Decimal("135"), Decimal("145")),
     [139.0, None, 141.0, 138.0, 140.0]),
    ("k", "6298-4", "Potassium", "mmol/L", (Decimal("3.5"), Decimal("5.0")),
     [4.1, None, 4.35, 4.6, 4.2]),
]
#: Vital signs, taken at every visit and sent without a report.
VITALS = [("weight", "29463-7", "Body weight", "kg", [82.3, 81.0, 83.7, 84.9, 85.4]),
          ("bmi", "39156-5", "Body mass index", "kg/m2", [25.4, 25.0, 25.83, 26.2, 26.36])]
BLOOD_PRESSURE = ["128/82", "131/84", "138/88", "142/90", "136/86"]

NOTE = ("Your cholesterol is a little higher than last time. Dr Jansen suggests more "
        "exercise and a new test in a year. You do not need to contact us about it.")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def record_item(patient: Patient, kind: str, key: str, title: str, **values) -> RecordItem:
    fhir_id = f"demo-{patient.patient_number}-{key}"
    resource = {"resourceType": KINDS[kind], "id": fhir_id, "code": {"text": title},
                "status": values.get("status") or "final"}
    digest = hashlib.sha256(json.dumps(resource, sort_keys=True).encode()).hexdigest()
    values.setdefault("details", {})
    return RecordItem(patient_id=patient.id, kind=kind, fhir_id=fhir_id, title=title,
                      resource=resource, content_hash=digest, **values)


def _results(patient: Patient, offset: float) -> list[RecordItem]:
    """Reports with laboratory results at each visit, and vital signs without a report."""
    items = []
    for index, (visit, when, *_rest) in enumerate(VISITS):
        taken, latest = _at(when), index == len(VISITS) - 1
        seen = None if latest else taken
        for panel, name, tests in (("lipids", "Lipid panel", LIPIDS),
                                   ("bmp", "Basic metabolic panel", METABOLIC)):
            found = [t for t in tests if t[5][index] is not None]
            if not found:
                continue
            report = f"{visit}-{panel}"
            items.append(record_item(
                patient, "report", report, name, category="LAB", status="final", start_at=taken,
                encounter_ref=f"demo-{patient.patient_number}-{visit}", released_at=taken))
            for key, code, title, unit, usual, values in found:
                value = Decimal(str(values[index])) + Decimal(str(offset)) * (
                    Decimal("0.1") if unit == "mmol/L" else 1)
                low, high = usual or (None, None)
                flag = ("high" if high is not None and value > high
                        else "low" if low is not None and value < low else None)
                items.append(record_item(
                    patient, "observation", f"{visit}-{key}", title, code=code,
                    code_system="http://loinc.org", category="laboratory", status="final",
                    start_at=taken, value_num=value, unit=unit, ref_low=low, ref_high=high,
                    flag=flag, report_ref=f"demo-{patient.patient_number}-{report}",
                    encounter_ref=f"demo-{patient.patient_number}-{visit}",
                    released_at=taken, seen_at=seen,
                    patient_note=NOTE if latest and key == "chol" else None))
        for key, code, title, unit, values in VITALS:
            items.append(record_item(
                patient, "observation", f"{visit}-{key}", title, code=code,
                code_system="http://loinc.org", category="vital-signs", status="final",
                start_at=taken, value_num=Decimal(str(values[index] + offset)), unit=unit,
                encounter_ref=f"demo-{patient.patient_number}-{visit}", released_at=taken,
                seen_at=seen))
        items.append(record_item(
            patient, "observation", f"{visit}-bp", "Blood pressure", code="85354-9",
            code_system="http://loinc.org", category="vital-signs", status="final",
            start_at=taken, value_text=f"{BLOOD_PRESSURE[index]} mm[Hg]",
            encounter_ref=f"demo-{patient.patient_number}-{visit}", released_at=taken,
            seen_at=seen))
    # A result the clinic has not released yet: the patient must not see it.
    items.append(record_item(patient, "observation", "v5-hba1c", "Hemoglobin A1c", code="4548-4",
                             code_system="http://loinc.org", category="laboratory",
                             status="preliminary", start_at=_at(VISITS[-1][1]),
                             value_num=Decimal("6.1"), unit="%"))
    return items


def _visits(patient: Patient) -> list[RecordItem]:
    """Visits to the clinic, one a year or so."""
    return [record_item(patient, "encounter", key, title, status="finished", start_at=_at(when),
                        details={"type": title, "class": kind, "reason": reason,
                           "practitioner": PRACTITIONER, "place": PLACE})
            for key, when, title, kind, reason in VISITS]


def _the_rest(patient: Patient) -> list[RecordItem]:
    """Diagnoses, medicines, an allergy, vaccinations and procedures."""
    visit = f"demo-{patient.patient_number}-"
    return [
        record_item(patient, "condition", "c-hypertension", "Essential hypertension",
                    status="active", start_at=_at("2024-03-12T08:45:00"),
                    encounter_ref=visit + "v3",
                    details={"verification": "confirmed"}),
        record_item(patient, "condition", "c-bronchitis", "Acute bronchitis", status="resolved",
                    start_at=_at("2023-02-14T10:05:00"), end_at=_at("2023-03-07T00:00:00"),
                    encounter_ref=visit + "v2", details={"verification": "confirmed"}),
        record_item(patient, "medication", "m-lisinopril", "Lisinopril 10 mg oral tablet",
                    status="active", start_at=_at("2024-03-12T09:00:00"),
                    encounter_ref=visit + "v3",
                    details={"dosage": "1 tablet every morning", "prescriber": PRACTITIONER,
                       "reason": "Essential hypertension"}),
        record_item(patient, "medication", "m-atorvastatin", "Atorvastatin 20 mg oral tablet",
                    status="active", start_at=_at("2026-01-20T08:50:00"),
                    encounter_ref=visit + "v5",
                    details={"dosage_timing": {"dose": 1, "dose_unit": "tablet", "frequency": 1,
                                         "period": 1, "period_unit": "d"},
                       "prescriber": PRACTITIONER}),
        record_item(patient, "medication", "m-amoxicillin", "Amoxicillin 500 mg oral capsule",
                    status="completed", start_at=_at("2023-02-14T10:20:00"),
                    encounter_ref=visit + "v2",
                    details={"dosage_timing": {"dose": 1, "dose_unit": "capsule", "frequency": 3,
                                         "period": 1, "period_unit": "d"},
                       "prescriber": PRACTITIONER, "reason": "Acute bronchitis"}),
        record_item(patient, "medication", "m-paracetamol", "Paracetamol 500 mg oral tablet",
                    status="stopped", start_at=_at("2023-02-14T10:21:00"),
                    encounter_ref=visit + "v2",
                    details={"dosage_timing": {"dose": 2, "dose_unit": "tablets",
                                         "as_needed": True},
                       "prescriber": PRACTITIONER}),
        record_item(patient, "allergy", "a-penicillin", "Allergy to penicillin", status="active",
                    category="medication", start_at=_at("2019-06-03T00:00:00"),
                    details={"reactions": ["Hives", "Itchy skin"], "criticality": "low",
                       "type": "allergy"}),
        record_item(patient, "immunization", "i-td", "Td (adult), adsorbed", status="completed",
                    start_at=_at("2021-05-11T09:00:00")),
        record_item(patient, "immunization", "i-covid", "COVID-19 vaccine, mRNA",
                    status="completed", start_at=_at("2022-03-10T09:40:00"),
                    encounter_ref=visit + "v1"),
        record_item(patient, "immunization", "i-flu-2024", "Influenza, seasonal, injectable",
                    status="completed", start_at=_at("2024-10-15T14:00:00")),
        record_item(patient, "immunization", "i-flu-2025", "Influenza, seasonal, injectable",
                    status="completed", start_at=_at("2025-10-14T14:10:00")),
        record_item(patient, "procedure", "p-spirometry", "Spirometry", status="completed",
                    start_at=_at("2023-02-14T10:15:00"), encounter_ref=visit + "v2",
                    details={"reason": "Acute bronchitis"}),
        record_item(patient, "procedure", "p-ecg", "Electrocardiogram", status="completed",
                    start_at=_at("2025-03-18T09:30:00"), encounter_ref=visit + "v4",
                    details={"reason": "Essential hypertension"}),
    ]


def load_demo_records() -> int:
    """Give the demo patients their records; items already there are left alone.

    Returns how many items were added.
    """
    patients = {p.patient_number: p for p in db.session.scalars(
        select(Patient).where(Patient.patient_number.in_(PATIENTS)))}
    existing = {tuple(row) for row in db.session.execute(
        select(RecordItem.patient_id, RecordItem.kind, RecordItem.fhir_id)
        .where(RecordItem.patient_id.in_([p.id for p in patients.values()])))}
    added = 0
    for number, offset in PATIENTS.items():
        patient = patients.get(number)
        if patient is None:
            continue
        for item in _visits(patient) + _results(patient, offset) + _the_rest(patient):
            if (patient.id, item.kind, item.fhir_id) not in existing:
                db.session.add(item)
                added += 1
    db.session.commit()
    return added
