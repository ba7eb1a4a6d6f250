"""The FHIR download is valid FHIR R4 for every record: the demo's and every shared bundle's.

Each download is checked with the R4B models (bundles.py says why R4B) and the export's
own rules (portal.fhir.validity): every item refers to the patient, every observation has
a value or says why not. A test fails on the first problem, naming it.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.clinic_setup import save_clinic
from portal.extensions import db as _db
from portal.fhir import validity
from portal.fhir.importer import import_file
from portal.models import Patient
from portal.records.models import RecordItem
from tests.conftest import login_as, make_user
from tests.records.fhir_bundles import SHARED

BUNDLES = sorted(SHARED.glob("*.json"))


def _download(client, patient_id: int) -> dict:
    response = client.get(f"/staff/patients/{patient_id}/record/download",
                          query_string={"format": "fhir", "scope": "all"})
    assert response.status_code == 200
    return json.loads(response.data)


def _first_problem(bundle: dict) -> str | None:
    return next(validity.problems(bundle), None)


def _empty_tables() -> None:
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


def test_the_checker_finds_what_the_old_demo_items_had(clinic):
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-01-01"}
    for item, wanted in (
        ({"resourceType": "Immunization", "id": "i1", "status": "completed",
          "code": {"text": "Td"}}, "Immunization/i1"),
        ({"resourceType": "AllergyIntolerance", "id": "a1", "status": "active",
          "patient": {"reference": "Patient/p1"}}, "AllergyIntolerance/a1"),
        ({"resourceType": "Observation", "id": "o1", "status": "final",
          "code": {"text": "Glucose"}, "subject": {"reference": "Patient/p1"}},
         "neither a value nor a dataAbsentReason"),
        ({"resourceType": "Procedure", "id": "x1", "status": "completed",
          "code": {"text": "ECG"}, "subject": {"display": "Oliver"}},
         "does not refer to the patient"),
    ):
        bundle = {"resourceType": "Bundle", "type": "collection",
                  "entry": [{"resource": patient}, {"resource": item}]}
        assert wanted in (_first_problem(bundle) or ""), item


def test_every_demo_patients_download_is_valid_fhir(app, client, monkeypatch):
    from portal import demo

    monkeypatch.setattr(demo, "hash_password", lambda password: "not-a-real-hash")
    demo.load_demo()
    patients = _db.session.scalars(select(Patient).order_by(Patient.id)).all()
    with_records = {patient_id for patient_id in _db.session.scalars(
        select(RecordItem.patient_id).distinct())}
    assert len(with_records) >= 4  # Oliver, Sanne, Kasia and Daan at least
    login_as(client, make_user(role="clinician"))
    for patient in patients:
        bundle = _download(client, patient.id)
        assert _first_problem(bundle) is None, (patient.patient_number, _first_problem(bundle))
        if patient.id in with_records:
            types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
            assert len(bundle["entry"]) > 5 and "Encounter" in types, patient.patient_number


def test_demo_records_keep_what_the_pages_showed(db):
    """The demo, made through the importer, still has its flags, values and release."""
    from portal import demo

    demo.hash_password = demo.hash_password  # the real one; FAST_PASSWORD_HASHING is on
    demo.load_demo()
    oliver = _db.session.scalar(select(Patient).where(Patient.patient_number == "P-100001"))
    items = {item.fhir_id.removeprefix("demo-P-100001-"): item for item in _db.session.scalars(
        select(RecordItem).where(RecordItem.patient_id == oliver.id))}
    assert items["v5-chol"].flag == "high" and items["v5-chol"].patient_note
    assert items["v5-chol"].report_ref == "demo-P-100001-v5-lipids"
    assert items["v5-bp"].value_text == "136/86 mm[Hg]"
    assert items["v5-hba1c"].released_at is None and items["v1-glu"].released_at is not None
    assert items["v1"].details["practitioner"] == "Dr Pieter Jansen"
    assert items["a-penicillin"].details["reactions"] == ["Hives", "Itchy skin"]
    assert items["m-atorvastatin"].details["dosage_timing"]["frequency"] == 1
    assert items["i-td"].resource["vaccineCode"]["text"] == "Td (adult), adsorbed"
    before = len(items)
    demo.load_demo()
    assert _db.session.scalar(select(RecordItem.id).where(
        RecordItem.patient_id == oliver.id).order_by(RecordItem.id.desc()).limit(1)) == max(
        item.id for item in items.values()) and before > 60


@pytest.fixture(scope="module")
def shared_downloads(app):
    """Every shared Synthea bundle imported once (about 13 s each) and downloaded by staff."""
    downloads = {}
    with app.app_context():
        _empty_tables()
        save_clinic(name="Test Clinic", phone="+31 20 123 4567", email="desk@test.example",
                    address="Teststraat 1, 1000 AA Amsterdam", emergency_number="112",
                    timezone="Europe/Amsterdam")
        results = {path.name: import_file(path) for path in BUNDLES}
        client = app.test_client()
        login_as(client, make_user(role="clinician"))
        for name, result in results.items():
            assert result.error is None, (name, result.error)
            patient = _db.session.scalar(select(Patient).where(
                Patient.patient_number == result.patient_number))
            downloads[name] = _download(client, patient.id)
        _empty_tables()
    return downloads


@pytest.mark.parametrize("name", [path.name for path in BUNDLES])
def test_every_shared_bundles_download_is_valid_fhir(shared_downloads, name):
    bundle = shared_downloads[name]
    assert _first_problem(bundle) is None, _first_problem(bundle)
    assert len(bundle["entry"]) > 50
