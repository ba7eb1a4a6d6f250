"""`flask portal import-fhir`: FHIR R4 bundles -> patients and their record items."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text

from portal.extensions import db as _db
from portal.fhir.bundles import Bundle, BundleError
from portal.fhir.importer import import_file
from portal.models import AuditEvent, Patient
from portal.records.models import RecordItem
from tests.conftest import count_queries
from tests.records.fhir_bundles import (
    SHARED,
    make_bundle,
    ref,
    small_resources,
    urn,
    write_bundle,
)

#: Counted independently of the importer: the resource types that become record items.
ITEM_KIND = {"Observation": "observation", "DiagnosticReport": "report",
             "Encounter": "encounter", "Condition": "condition", "Procedure": "procedure",
             "MedicationRequest": "medication", "Immunization": "immunization",
             "AllergyIntolerance": "allergy"}

SHARED_FILES = sorted(SHARED.glob("*.json"))


def expected_counts(path) -> tuple[str, Counter]:
    """The patient's fhir id and the number of items per kind, read straight from the file."""
    entries = json.loads(path.read_text())["entry"]
    patient = next(e["resource"]["id"] for e in entries
                   if e["resource"]["resourceType"] == "Patient")
    return patient, Counter(ITEM_KIND[e["resource"]["resourceType"]] for e in entries
                            if e["resource"]["resourceType"] in ITEM_KIND)


def table_counts() -> dict[str, int]:
    """Rows in the tables an import writes to."""
    return {model.__name__: _db.session.scalar(select(func.count()).select_from(model))
            for model in (Patient, RecordItem, AuditEvent)}


class Statements:
    """Records the SQL statements run while it is active."""

    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(_db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(_db.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def writes(self) -> list[str]:
        """The INSERT, UPDATE and DELETE statements among them."""
        return [s for s in self.seen if s.lstrip().split()[0].upper()
                in ("INSERT", "UPDATE", "DELETE")]


def _empty_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="module")
def shared(app):
    """All twelve shared bundles imported once, then again through the CLI; what was seen.

    The autouse `db` fixture empties the tables after each test, so everything the tests
    check is gathered here, once, and the tables are emptied again at the end.
    """
    facts: dict = {"first": {}, "statements": {}}
    with app.app_context():
        _empty_tables()
        for path in SHARED_FILES:
            with Statements() as statements:
                facts["first"][path.name] = import_file(path)
            facts["statements"][path.name] = len(statements.seen)
        facts["stored"] = {
            (fhir_id, kind): n for fhir_id, kind, n in _db.session.execute(
                select(Patient.fhir_id, RecordItem.kind, func.count())
                .join(RecordItem, RecordItem.patient_id == Patient.id)
                .group_by(Patient.fhir_id, RecordItem.kind))}
        facts["patients"] = {p.fhir_id: (p.patient_number, p.given_name, p.family_name,
                                         p.birth_date, p.sex, p.phone, p.city, p.country)
                             for p in _db.session.scalars(select(Patient))}
        facts["audit"] = [(e.action, e.patient_id is not None, e.target)
                          for e in _db.session.scalars(select(AuditEvent))]
        glucose = _db.session.scalar(select(RecordItem).where(
            RecordItem.fhir_id == "80745b28-ae09-4929-9161-9ff13417cc42"))
        facts["glucose"] = (glucose.value_num, glucose.unit, glucose.title, glucose.category,
                            glucose.report_ref, glucose.encounter_ref,
                            glucose.resource["valueQuantity"]["value"])
        if _db.engine.dialect.name == "sqlite":
            facts["glucose_raw"] = _db.session.scalar(text(
                "SELECT value_num FROM record_items WHERE id = :id"), {"id": glucose.id})
        items = list(_db.session.scalars(select(RecordItem).order_by(RecordItem.id)))
        wanted = {"encounter": lambda i: "practitioner" in i.details,
                  "medication": lambda i: "prescriber" in i.details,
                  "allergy": lambda i: "criticality" in i.details,
                  "condition": lambda i: i.end_at is not None,
                  "observation": lambda i: i.code == "55284-4"}  # blood pressure
        facts["samples"] = {kind: {c.name: getattr(item, c.name)
                                   for c in RecordItem.__table__.columns}
                            for kind, test in wanted.items()
                            for item in [next(i for i in items if i.kind == kind and test(i))]}
        facts["rows_before"] = _db.session.execute(
            select(RecordItem.id, RecordItem.content_hash, RecordItem.imported_at)
            .order_by(RecordItem.id)).all()
        _db.session.commit()

        with Statements() as statements:
            facts["again"] = app.test_cli_runner().invoke(
                args=["portal", "import-fhir", "--stats", str(SHARED)])
        facts["again_writes"] = statements.writes()
        facts["rows_after"] = _db.session.execute(
            select(RecordItem.id, RecordItem.content_hash, RecordItem.imported_at)
            .order_by(RecordItem.id)).all()
        _db.session.remove()
        _empty_tables()
    return facts


def test_every_shared_bundle_imports_with_the_right_counts(shared):
    assert len(SHARED_FILES) == 12
    for path in SHARED_FILES:
        result = shared["first"][path.name]
        patient, expected = expected_counts(path)
        assert result.error is None, (path.name, result.error)
        assert {kind: c["new"] for kind, c in result.counts.items()} == expected, path.name
        assert result.total("changed") == result.total("unchanged") == 0
        stored = {kind: n for (fhir_id, kind), n in shared["stored"].items()
                  if fhir_id == patient}
        assert stored == expected, path.name


def test_patients_get_numbers_and_names_from_the_bundle(shared):
    patients = shared["patients"]
    assert len(patients) == 12
    assert sorted(number for number, *_ in patients.values()) == [
        f"F-{n:06d}" for n in range(1, 13)]
    carla = patients["d8e20eac-1721-4a71-ba98-c23d32e75105"]
    assert carla[1:] == ("Carla", "Echevarría", datetime(2005, 5, 3).date(), "female",
                         "555-409-6930", "Concord", "US")
    # Eddy Fadel died in 1977; he is imported like everyone else.
    assert patients["bdb0bf01-3e05-4950-a843-4d7e722cae4f"][1:3] == ("Eddy", "Fadel")


def test_an_audit_line_per_imported_bundle_without_health_content(shared):
    assert len(shared["audit"]) == 12
    beatriz = next(target for action, has_patient, target in shared["audit"]
                   if "Beatriz" in target)
    assert beatriz == ("file:Beatriz_Salazar_c837db1d-d74b-4707-be68-b87bb25b4504.json; "
                       "new:412 changed:0")
    assert all(action == "record-imported" and has_patient
               for action, has_patient, _ in shared["audit"])


def test_values_keep_their_precision(shared):
    value, unit, title, category, report_ref, encounter_ref, as_received = shared["glucose"]
    assert as_received == 94.03117346500946  # the resource is kept exactly as received
    assert (unit, title, category) == ("mg/dL", "Glucose", "laboratory")
    assert report_ref and encounter_ref
    # The column's scale is 10 (Numeric(24, 10)): nothing rounded for display here.
    assert value == Decimal("94.03117346500946").quantize(Decimal("1e-10"))
    if "glucose_raw" in shared:  # SQLite stores the number itself
        assert shared["glucose_raw"] == 94.03117346500946


def test_details_resolve_practitioners_reasons_and_components(shared):
    samples = shared["samples"]
    assert samples["encounter"]["details"]["practitioner"].startswith("Dr. ")
    assert samples["encounter"]["details"]["organization"]
    assert samples["medication"]["details"]["prescriber"].startswith("Dr. ")
    assert samples["allergy"]["details"]["criticality"] in ("low", "high", "unable-to-assess")
    assert samples["allergy"]["category"] in ("food", "medication", "environment", "biologic")
    assert samples["condition"]["end_at"] > samples["condition"]["start_at"]
    assert samples["condition"]["details"]["verification"] == "confirmed"
    assert samples["condition"]["start_at"].tzinfo == UTC
    pressure = samples["observation"]
    systolic, diastolic = (next(c["value"] for c in pressure["details"]["components"]
                                if c["code"] == code) for code in ("8480-6", "8462-4"))
    assert pressure["value_text"] == f"{round(systolic)}/{round(diastolic)} mm[Hg]"
    assert pressure["ref_low"] is None and pressure["flag"] is None  # none in Synthea


def test_importing_the_same_bundles_again_writes_nothing(shared):
    result = shared["again"]
    assert result.exit_code == 0, result.output
    assert "12 file(s) imported, 0 skipped." in result.output
    kind_lines = [line for line in result.output.splitlines() if line.startswith("  ")
                  and " new " in line]
    assert len(kind_lines) == sum(len(r.counts) for r in shared["first"].values())
    assert all("new    0  changed    0  unchanged" in line for line in kind_lines)
    assert "  observation   new    0  changed    0  unchanged  314" in result.output  # Beatriz
    assert "Stats: 13.8" in result.output and "peak memory" in result.output
    assert shared["again_writes"] == []
    assert shared["rows_after"] == shared["rows_before"]


def test_statements_per_bundle_do_not_grow_with_its_size(shared):
    counts = shared["statements"]
    smallest, largest = SHARED_FILES[3], SHARED_FILES[10]  # Eddy (122 entries), Margery (792)
    assert smallest.name.startswith("Eddy") and largest.name.startswith("Margery")
    assert counts[smallest.name] == counts[largest.name] <= 8
    assert max(counts.values()) - min(counts.values()) <= 1


# --- hand-made bundles --------------------------------------------------------------------

def test_small_bundle_maps_every_column(tmp_path):
    path = write_bundle(tmp_path, "small.json", make_bundle(small_resources()))
    result = import_file(path)
    assert result.error is None
    items = {item.fhir_id: item for item in _db.session.scalars(select(RecordItem))}
    glucose = items["obs-glucose"]
    assert (glucose.ref_low, glucose.ref_high, glucose.ref_text, glucose.flag) == (
        Decimal(70), Decimal("99.5"), "70-99.5 mg/dL", "high")
    assert glucose.start_at == datetime(2024, 3, 1, 8, 10, tzinfo=UTC)
    assert (glucose.encounter_ref, glucose.report_ref) == ("enc-1", "rep-1")
    assert glucose.released_at is not None and items["rep-1"].released_at is not None
    assert items["obs-bp"].value_text == "121/80 mm[Hg]"
    assert items["med-1"].title == "Metformin 500 mg"  # from the contained Medication
    assert items["med-1"].details == {"dosage": "One tablet twice a day",
                                      "prescriber": "Dr. Jan Nowak"}
    assert items["med-1"].released_at is None  # not a result
    assert items["enc-1"].details == {"type": "Check-up", "class": "AMB",
                                      "practitioner": "Dr. Jan Nowak"}
    patient = _db.session.scalar(select(Patient))
    # Synthea's digits go; the rest of the name stays as sent.
    assert (patient.given_name, patient.family_name, patient.country) == (
        "Zofia", "Kowalska", "PL")


def test_results_wait_when_the_clinic_releases_them(clinic, tmp_path):
    clinic.results_need_release = True
    _db.session.commit()
    import_file(write_bundle(tmp_path, "small.json", make_bundle(small_resources())))
    released = _db.session.execute(select(RecordItem.kind, RecordItem.released_at)).all()
    assert sorted(kind for kind, at in released if at is None) == [
        "encounter", "medication", "observation", "observation", "report"]


def test_collection_bundle_imports_like_a_transaction(tmp_path):
    bundle = make_bundle(small_resources(), bundle_type="collection")
    assert "request" not in bundle["entry"][0]
    result = import_file(write_bundle(tmp_path, "collection.json", bundle))
    assert result.error is None
    assert result.total("new") == 5 and table_counts()["RecordItem"] == 5


def test_changed_resource_updates_its_row(tmp_path):
    resources = small_resources()
    path = write_bundle(tmp_path, "small.json", make_bundle(resources))
    import_file(path)
    before = _db.session.scalar(select(RecordItem).where(RecordItem.fhir_id == "obs-glucose"))
    old_hash, item_id = before.content_hash, before.id
    resources[3]["valueQuantity"]["value"] = 5.25
    resources[3]["status"] = "amended"
    write_bundle(tmp_path, "small.json", make_bundle(resources))
    _db.session.expire_all()
    with count_queries() as statements:
        result = import_file(path)
    assert result.counts["observation"] == Counter(changed=1, unchanged=1)
    assert result.total("new") == 0 and result.total("unchanged") == 4
    assert statements() <= 6
    after = _db.session.get(RecordItem, item_id)
    assert (after.value_num, after.status) == (Decimal("5.25"), "amended")
    assert after.resource["valueQuantity"]["value"] == 5.25
    assert after.content_hash != old_hash and after.released_at is not None
    assert _db.session.scalar(select(AuditEvent.target).order_by(AuditEvent.id.desc())
                              .limit(1)) == "file:small.json; new:0 changed:1"


def test_items_missing_from_a_later_bundle_are_kept(tmp_path):
    resources = small_resources()
    path = write_bundle(tmp_path, "small.json", make_bundle(resources))
    import_file(path)
    write_bundle(tmp_path, "small.json", make_bundle(resources[:3]))  # only the visit
    result = import_file(path)
    assert result.error is None and table_counts()["RecordItem"] == 5


@pytest.mark.parametrize("problem, spoil", [
    ("invalid JSON", lambda bundle: json.dumps(bundle)[:-40]),
    ("fails FHIR validation at entry 3 (Observation/obs-glucose) valueQuantity.value",
     lambda bundle: _set(bundle, 3, "valueQuantity", {"value": "ninety-four"})),
    ("refers to " + urn("enc-2") + ", which is neither in the bundle nor contained",
     lambda bundle: _set(bundle, 5, "encounter", ref("enc-2"))),
    ("refers to #nothing-here", lambda bundle: _set(bundle, 6, "medicationReference",
                                                    {"reference": "#nothing-here"})),
    ("holds 0 Patient resources", lambda bundle: {**bundle, "entry": bundle["entry"][1:]}),
    ("about someone other than the bundle's patient",
     lambda bundle: _set(bundle, 4, "subject", ref("dr-1"))),
    ("bundle type 'batch' is not one of", lambda bundle: {**bundle, "type": "batch"}),
])
def test_a_bad_bundle_is_reported_and_leaves_nothing(app, tmp_path, problem, spoil):
    good = write_bundle(tmp_path, "a-good.json", make_bundle(
        [{**r, "id": r["id"] + "-g"} if r["resourceType"] == "Patient" else r
         for r in small_resources()[:1]]))
    bad = write_bundle(tmp_path, "b-bad.json", spoil(make_bundle(small_resources())))
    before = table_counts()
    result = app.test_cli_runner().invoke(args=["portal", "import-fhir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad.name}: SKIPPED, " in result.output and problem in result.output
    assert f"{good.name}: imported" in result.output
    assert "1 file(s) imported, 1 skipped." in result.output
    after = table_counts()
    assert after == {**before, "Patient": before["Patient"] + 1,
                     "AuditEvent": before["AuditEvent"] + 1}  # the good one only
    assert "ninety-four" not in result.output  # a value is never echoed


def _set(bundle: dict, index: int, key: str, value) -> dict:
    """The bundle with one field of its `index`th resource replaced."""
    bundle["entry"][index]["resource"][key] = value
    return bundle


def test_two_items_with_one_id_are_refused(tmp_path):
    resources = small_resources()
    resources[4]["id"] = "obs-glucose"  # the blood pressure now has the glucose's id
    result = import_file(write_bundle(tmp_path, "twice.json", make_bundle(resources)))
    assert "two Observation resources have the id obs-glucose" in result.error
    assert table_counts() == {"Patient": 0, "RecordItem": 0, "AuditEvent": 0}


def test_a_failure_while_storing_rolls_the_whole_bundle_back(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The audit line is the last write: patient and items are in the transaction by then.
    monkeypatch.setattr("portal.fhir.importer.audit.record", fail)
    with count_queries() as statements:
        result = import_file(write_bundle(tmp_path, "small.json",
                                          make_bundle(small_resources())))
    assert statements() >= 5  # patient and items were written, then undone
    assert result.error == "could not be stored (RuntimeError: disk full)"
    assert table_counts() == {"Patient": 0, "RecordItem": 0, "AuditEvent": 0}


def test_contained_references_resolve():
    claim = {"resourceType": "ExplanationOfBenefit", "id": "eob-1",
             "contained": [{"resourceType": "ServiceRequest", "id": "referral",
                            "requester": ref("dr-1")},
                           {"resourceType": "Coverage", "id": "coverage",
                            "beneficiary": ref("pat-1"), "payor": [{"reference": "#"}]}],
             "referral": {"reference": "#referral"},
             "insurance": [{"coverage": {"reference": "#coverage"}}]}
    bundle = Bundle(make_bundle(small_resources() + [claim]))
    bundle.check_references()
    assert bundle.resolve(claim["referral"], claim)["resourceType"] == "ServiceRequest"
    assert bundle.resolve(claim["insurance"][0]["coverage"], claim)["id"] == "coverage"
    assert bundle.resolve({"reference": "#coverage"}) is None  # only within its container
    assert bundle.resolve(ref("dr-1"))["id"] == "dr-1"
    assert bundle.resolve({"reference": "Practitioner/dr-1"})["id"] == "dr-1"
    claim["referral"] = {"reference": "#elsewhere"}
    with pytest.raises(BundleError, match="#elsewhere"):
        bundle.check_references()


def test_an_unchanged_patient_is_not_touched_and_contact_details_stay_the_patients(tmp_path):
    path = write_bundle(tmp_path, "small.json", make_bundle(small_resources()))
    import_file(path)
    patient = _db.session.scalar(select(Patient))
    patient.phone = "+48 500 999 888"  # changed by the patient in the portal
    _db.session.commit()
    with count_queries() as statements:
        result = import_file(path)
    assert result.total("unchanged") == 5 and statements() == 3  # patient, items, clinic
    _db.session.expire_all()
    assert patient.phone == "+48 500 999 888" and patient.patient_number == "F-000001"


def test_cli_help_explains_the_command(app):
    result = app.test_cli_runner().invoke(args=["portal", "import-fhir", "--help"])
    assert result.exit_code == 0
    assert "PATHS" in result.output and "--stats" in result.output
    assert "transaction" in result.output and "skipped" in result.output
