"""Health records for the demo patients: results over several years, visits, medicines.

A few patients with accounts get a small record that looks like what a clinic's system
sends: reports of laboratory results (some with a reference range, some without, values
with float noise), vital signs taken at visits, diagnoses, medicines current and stopped,
an allergy, vaccinations and procedures. The records are made as FHIR resources and go
in through the importer, exactly as a clinic's system sends them, so that every page and
the FHIR download see what they would see of a real record. Items have fixed FHIR ids, so
loading the demo again adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update

from portal.extensions import db
from portal.fhir import making as fhir
from portal.fhir.export import full_url, patient_fhir_id, patient_resource
from portal.models import Patient
from portal.records.models import RecordItem

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
#: SNOMED CT codes of the visit types, reasons, diagnoses, procedures, allergy and
#: reactions, so that pages name them in the reader's language (portal/terminology).
SNOMED_CODES = {
    "General examination of patient": "162673000", "Encounter for symptom": "185345009",
    "Follow-up visit": "390906007", "Check-up": "185349003", "Acute bronchitis": "10509002",
    "Blood pressure check": "46973005", "Essential hypertension": "59621000",
    "Spirometry": "127783003", "Electrocardiogram": "29303009",
    "Allergy to penicillin": "91936005", "Hives": "126485001", "Itchy skin": "418290006",
}


def _snomed(text: str) -> dict:
    """The words with their SNOMED CT coding."""
    return fhir.concept(text, SNOMED_CODES[text], fhir.SNOMED)

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
BLOOD_PRESSURE = [(128, 82), (131, 84), (138, 88), (142, 90), (136, 86)]
SYSTOLIC, DIASTOLIC = ("8480-6", "Systolic blood pressure"), ("8462-4", "Diastolic blood pressure")

NOTE = ("Your cholesterol is a little higher than last time. Dr Jansen suggests more "
        "exercise and a new test in a year. You do not need to contact us about it.")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: The clinician and the place every demo item names (read for references, not stored).
DOCTOR = fhir.practitioner("demo-practitioner-jansen", PRACTITIONER)
CENTRE = fhir.location("demo-location-linden", PLACE)


class DemoRecord:
    """One patient's demo resources, and the columns the clinic sets after import.

    Released, seen, a note and confidential are the portal's own columns, not FHIR: they
    are set on the imported rows, as a clinician or the patient would set them.
    """

    def __init__(self, patient: Patient):
        if patient.fhir_id is None:
            patient.fhir_id = patient_fhir_id(patient)
        self.patient = patient
        self.subject = {"reference": f"Patient/{patient.fhir_id}"}
        self.resources: list[dict] = [DOCTOR, CENTRE]
        self.columns: dict[str, dict] = {}

    def fhir_id(self, key: str) -> str:
        return f"demo-{self.patient.patient_number}-{key}"

    def visit(self, key: str) -> dict:
        """The Reference to the visit `key`."""
        return {"reference": f"Encounter/{self.fhir_id(key)}"}

    def add(self, resource: dict, **columns) -> dict:
        self.resources.append(resource)
        if columns:
            self.columns[resource["id"]] = columns
        return resource

    def bundle(self) -> dict:
        """The collection Bundle of the patient and the resources."""
        everything = [patient_resource(self.patient), *self.resources]
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": full_url(r["id"]), "resource": r} for r in everything]}

    def load(self) -> int:
        """Import the bundle; set the portal's columns on the items it added or changed."""
        # Imported here: the importer loads the records package, which imports the
        # importer back; from the top of this module that would be a loop.
        from portal.fhir.importer import import_data

        patient_id = self.patient.id
        before = set(db.session.execute(select(RecordItem.fhir_id, RecordItem.content_hash)
                                        .where(RecordItem.patient_id == patient_id)))
        result = import_data(self.bundle(), f"demo-{self.patient.patient_number}.json")
        if result.error:
            raise RuntimeError(f"demo record of {self.patient.patient_number}: {result.error}")
        for fhir_id, content_hash, item_id in db.session.execute(
                select(RecordItem.fhir_id, RecordItem.content_hash, RecordItem.id)
                .where(RecordItem.patient_id == patient_id)):
            if (fhir_id, content_hash) not in before and fhir_id in self.columns:
                db.session.execute(update(RecordItem).where(RecordItem.id == item_id)
                                   .values(**self.columns[fhir_id]))
        db.session.commit()
        return result.total("new")


def _results(record: DemoRecord, offset: float) -> None:
    """Reports with laboratory results at each visit, and vital signs without a report."""
    subject = record.subject
    for index, (visit, when, *_rest) in enumerate(VISITS):
        taken, latest = _at(when), index == len(VISITS) - 1
        seen = None if latest else taken
        at_visit = record.visit(visit)
        for panel, code, name, tests in (("lipids", "57698-3", "Lipid panel", LIPIDS),
                                         ("bmp", "51990-0", "Basic metabolic panel", METABOLIC)):
            found = [t for t in tests if t[5][index] is not None]
            if not found:
                continue
            results = []
            for key, loinc, title, unit, usual, values in found:
                value = Decimal(str(values[index])) + Decimal(str(offset)) * (
                    Decimal("0.1") if unit == "mmol/L" else 1)
                low, high = usual or (None, None)
                flag = ("high" if high is not None and value > high
                        else "low" if low is not None and value < low else None)
                results.append(record.add(fhir.observation(
                    record.fhir_id(f"{visit}-{key}"), subject, title, taken,
                    category="laboratory", code=loinc, value=value, unit=unit, low=low,
                    high=high, flag=flag, visit=at_visit),
                    released_at=taken, seen_at=seen,
                    patient_note=NOTE if latest and key == "chol" else None))
            record.add(fhir.report(record.fhir_id(f"{visit}-{panel}"), subject, name, taken,
                                   results, code=code, visit=at_visit), released_at=taken)
        for key, loinc, title, unit, values in VITALS:
            record.add(fhir.observation(
                record.fhir_id(f"{visit}-{key}"), subject, title, taken, category="vital-signs",
                code=loinc, value=Decimal(str(values[index] + offset)), unit=unit,
                visit=at_visit), released_at=taken, seen_at=seen)
        systolic, diastolic = BLOOD_PRESSURE[index]
        record.add(fhir.observation(
            record.fhir_id(f"{visit}-bp"), subject, "Blood pressure", taken,
            category="vital-signs", code="85354-9", visit=at_visit,
            components=[(*SYSTOLIC, Decimal(systolic), "mm[Hg]"),
                        (*DIASTOLIC, Decimal(diastolic), "mm[Hg]")]),
            released_at=taken, seen_at=seen)
    # A result the clinic has not released yet: the patient must not see it.
    record.add(fhir.observation(
        record.fhir_id("v5-hba1c"), subject, "Hemoglobin A1c", _at(VISITS[-1][1]),
        category="laboratory", code="4548-4", status="preliminary", value=Decimal("6.1"),
        unit="%"), released_at=None)


def _visits(record: DemoRecord) -> None:
    """Visits to the clinic, one a year or so."""
    for key, when, title, kind, reason in VISITS:
        record.add(fhir.encounter(record.fhir_id(key), record.subject, title, _at(when),
                                  visit_class=kind, reason=_snomed(reason),
                                  code=SNOMED_CODES[title],
                                  practitioner_ref=fhir.reference(DOCTOR),
                                  place_ref=fhir.reference(CENTRE)))


def _the_rest(record: DemoRecord) -> None:
    """Diagnoses, medicines, an allergy, vaccinations and procedures."""
    me, visit, doctor = record.subject, record.visit, fhir.reference(DOCTOR)
    key = record.fhir_id
    for resource in (
        fhir.condition(key("c-hypertension"), me, "Essential hypertension",
                       _at("2024-03-12T08:45:00"), status="active", visit=visit("v3"),
                       code="59621000"),
        fhir.condition(key("c-bronchitis"), me, "Acute bronchitis", _at("2023-02-14T10:05:00"),
                       status="resolved", ended=_at("2023-03-07T00:00:00"), visit=visit("v2"),
                       code="10509002"),
        fhir.medication(key("m-lisinopril"), me, "Lisinopril 10 mg oral tablet",
                        _at("2024-03-12T09:00:00"), status="active", visit=visit("v3"),
                        dosage=fhir.dosage(text="1 tablet every morning"), prescriber=doctor,
                        reason=_snomed("Essential hypertension"), code="314076"),
        fhir.medication(key("m-atorvastatin"), me, "Atorvastatin 20 mg oral tablet",
                        _at("2026-01-20T08:50:00"), status="active", visit=visit("v5"),
                        dosage=fhir.dosage(dose=1, unit="tablet", frequency=1, period=1,
                                           period_unit="d"), prescriber=doctor, code="617310"),
        fhir.medication(key("m-amoxicillin"), me, "Amoxicillin 500 mg oral capsule",
                        _at("2023-02-14T10:20:00"), status="completed", visit=visit("v2"),
                        dosage=fhir.dosage(dose=1, unit="capsule", frequency=3, period=1,
                                           period_unit="d"),
                        prescriber=doctor, reason=_snomed("Acute bronchitis"), code="308191"),
        fhir.medication(key("m-paracetamol"), me, "Paracetamol 500 mg oral tablet",
                        _at("2023-02-14T10:21:00"), status="stopped", visit=visit("v2"),
                        dosage=fhir.dosage(dose=2, unit="tablets", as_needed=True),
                        prescriber=doctor, code="198440"),
        fhir.allergy(key("a-penicillin"), me, "Allergy to penicillin",
                     _at("2019-06-03T00:00:00"), category="medication",
                     reactions=[_snomed("Hives"), _snomed("Itchy skin")], criticality="low",
                     code="91936005"),
        fhir.immunization(key("i-td"), me, "Td (adult), adsorbed", _at("2021-05-11T09:00:00"),
                          code="09"),
        fhir.immunization(key("i-covid"), me, "COVID-19 vaccine, mRNA",
                          _at("2022-03-10T09:40:00"), visit=visit("v1"), code="208"),
        fhir.immunization(key("i-flu-2024"), me, "Influenza, seasonal, injectable",
                          _at("2024-10-15T14:00:00"), code="141"),
        fhir.immunization(key("i-flu-2025"), me, "Influenza, seasonal, injectable",
                          _at("2025-10-14T14:10:00"), code="141"),
        fhir.procedure(key("p-spirometry"), me, "Spirometry", _at("2023-02-14T10:15:00"),
                       reason=_snomed("Acute bronchitis"), visit=visit("v2"), code="127783003"),
        fhir.procedure(key("p-ecg"), me, "Electrocardiogram", _at("2025-03-18T09:30:00"),
                       reason=_snomed("Essential hypertension"), visit=visit("v4"),
                       code="29303009"),
    ):
        record.add(resource)


def load_demo_records() -> int:
    """Give the demo patients their records; items already there are left alone.

    Returns how many items were added.
    """
    patients = {p.patient_number: p for p in db.session.scalars(
        select(Patient).where(Patient.patient_number.in_(PATIENTS)))}
    added = 0
    for number, offset in PATIENTS.items():
        patient = patients.get(number)
        if patient is None:
            continue
        record = DemoRecord(patient)
        _visits(record)
        _results(record, offset)
        _the_rest(record)
        added += record.load()
    return added
