"""Referrals from imported records: which ServiceRequests count, what is stored and shown."""

from __future__ import annotations

import copy
import json
from datetime import date

from sqlalchemy import func, select

from portal.appointments.fhir import is_referral
from portal.appointments.models import Referral
from portal.extensions import db
from portal.fhir.importer import import_files
from portal.models import AuditEvent, Patient
from tests.conftest import login_as, make_user
from tests.records.fhir_bundles import SHARED, make_bundle, ref, small_resources, write_bundle
from tests.records.test_import import Statements

SNOMED = "http://snomed.info/sct"


def referral_resources() -> list[dict]:
    """Patient, practitioner and cardiology clinic; two referrals, a lab order, a claim's EOB
    with a contained referral stub as Synthea writes it."""
    patient, doctor = small_resources()[:2]
    return copy.deepcopy([
        patient, doctor,
        {"resourceType": "Organization", "id": "org-cardio", "name": "Cardiology, OLVG"},
        {"resourceType": "Condition", "id": "cond-1", "subject": ref("pat-1"),
         "code": {"text": "Palpitations"}},
        # A referral by its category (SNOMED 3457005), to an organisation named by reference.
        {"resourceType": "ServiceRequest", "id": "sr-cardio", "status": "active",
         "intent": "order", "subject": ref("pat-1"), "authoredOn": "2024-03-01T23:30:00+01:00",
         "category": [{"coding": [{"system": SNOMED, "code": "3457005",
                                   "display": "Patient referral"}]}],
         "code": {"coding": [{"system": SNOMED, "code": "3457005"}]},
         "performer": [ref("org-cardio")], "reasonReference": [ref("cond-1")],
         "note": [{"text": "Patient anxious, worried about her father's history"}]},
        # A referral by the second part of the rule: no category, an order to a performer.
        {"resourceType": "ServiceRequest", "id": "sr-physio", "status": "completed",
         "intent": "plan", "subject": ref("pat-1"), "occurrenceDateTime": "2024-01-15",
         "code": {"text": "Physiotherapy for the knee"},
         "performer": [{"display": "Fysiotherapie De Brug"}],
         "reasonCode": [{"coding": [{"system": SNOMED, "code": "239873007",
                                     "display": "Osteoarthritis of knee"}]}]},
        # A laboratory order: categorised, so never a referral, performer or not.
        {"resourceType": "ServiceRequest", "id": "sr-lab", "status": "active",
         "intent": "order", "subject": ref("pat-1"), "authoredOn": "2024-03-01",
         "category": [{"coding": [{"system": SNOMED, "code": "108252007",
                                   "display": "Laboratory procedure"}]}],
         "code": {"text": "HbA1c"}, "performer": [{"display": "Lab Noord"}]},
        {"resourceType": "ExplanationOfBenefit", "id": "eob-1", "status": "active",
         "use": "claim", "type": {"text": "institutional"}, "patient": ref("pat-1"),
         "created": "2024-03-01T10:00:00+01:00", "insurer": {"display": "Insurer"},
         "provider": ref("dr-1"), "outcome": "complete", "insurance": [
             {"focal": True, "coverage": {"display": "Insurance"}}],
         "referral": {"reference": "#referral"},
         "contained": [{"resourceType": "ServiceRequest", "id": "referral",
                        "status": "completed", "intent": "order", "subject": ref("pat-1"),
                        "requester": ref("dr-1"), "performer": [ref("dr-1")]}]},
    ])


def resource(resources: list[dict], fhir_id: str) -> dict:
    return next(r for r in resources if r["id"] == fhir_id)


def imported(tmp_path, resources, name="referrals.json"):
    """Import `resources` as one bundle the way `flask portal import-fhir` does."""
    run = import_files([write_bundle(tmp_path, name, make_bundle(resources))])
    assert run.files[0].error is None, run.files[0].error
    return run.files[0]


def stored() -> dict[str, tuple]:
    return {r.fhir_id: (r.referred_to, r.reason, r.status, r.referred_on, r.created_by_id)
            for r in db.session.scalars(select(Referral))}


def test_referral_service_requests_become_the_patients_referrals(app, clinic, tmp_path):
    result = imported(tmp_path, referral_resources())
    assert result.counts["referral"] == {"new": 2}
    patient = db.session.scalar(select(Patient))
    assert {r.patient_id for r in db.session.scalars(select(Referral))} == {patient.id}
    # The day as the sender wrote it; the reason from the condition, never the note.
    assert stored() == {
        "sr-cardio": ("Cardiology, OLVG", "Palpitations", "requested", date(2024, 3, 1), None),
        "sr-physio": ("Fysiotherapie De Brug", "Osteoarthritis of knee", "completed",
                      date(2024, 1, 15), None),
    }
    audit = db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "record-imported"))
    assert audit.endswith(" referrals:2")

    user = make_user(patient=patient)
    client = app.test_client()
    login_as(client, user)
    page = client.get("/appointments/referrals").get_data(as_text=True)
    assert "2 referrals" in page
    for words in ("Cardiology, OLVG", "Requested", "Palpitations",
                  "Fysiotherapie De Brug", "Completed", "Osteoarthritis of knee"):
        assert words in page
    assert "Lab Noord" not in page and "HbA1c" not in page and "anxious" not in page


def test_the_rule(app):
    resources = referral_resources()
    assert is_referral(resource(resources, "sr-cardio"))
    assert is_referral(resource(resources, "sr-physio"))
    assert not is_referral(resource(resources, "sr-lab"))
    # The contained stub would pass the intent-and-performer part: it is ignored because
    # only top-level entries are read.
    assert is_referral(resource(resources, "eob-1")["contained"][0])
    worded = {"status": "active", "intent": "proposal",
              "category": [{"text": "Verwijzing / Referral"}]}
    assert is_referral(worded)
    assert not is_referral({"status": "active", "intent": "proposal",
                            "performer": [{"display": "Dr. X"}]})
    assert not is_referral({"status": "active", "intent": "order"})


def test_importing_again_writes_nothing_and_a_change_updates_its_row(app, clinic, tmp_path):
    resources = referral_resources()
    imported(tmp_path, resources)
    before = db.session.execute(select(Referral.id, Referral.updated_at)
                                .order_by(Referral.id)).all()
    db.session.commit()
    with Statements() as statements:
        again = imported(tmp_path, resources)
    assert again.counts["referral"] == {"unchanged": 2}
    assert statements.writes() == []

    resource(resources, "sr-cardio").update(status="revoked", authoredOn="2024-03-04")
    resource(resources, "sr-physio")["note"] = [{"text": "Only a note changed"}]
    changed = imported(tmp_path, resources)
    assert changed.counts["referral"] == {"changed": 1, "unchanged": 1}
    rows = stored()
    assert rows["sr-cardio"][2:4] == ("cancelled", date(2024, 3, 4))
    assert rows["sr-physio"][2] == "completed"
    after = db.session.execute(select(Referral.id, Referral.updated_at)
                               .order_by(Referral.id)).all()
    assert [row.id for row in after] == [row.id for row in before]  # updated, not re-added

    user = make_user(patient=db.session.scalar(select(Patient)))
    client = app.test_client()
    login_as(client, user)
    page = client.get("/appointments/referrals").get_data(as_text=True)
    assert "Cancelled" in page and "Requested" not in page


def test_staff_referrals_and_staff_changes_stay(app, client, clinic, tmp_path):
    resources = referral_resources()
    imported(tmp_path, resources)
    patient = db.session.scalar(select(Patient))
    clinician = make_user(role="clinician")
    own = Referral(patient_id=patient.id, referred_to="Dermatology, AMC", reason="A mole",
                   status="sent", referred_on=date(2024, 2, 1), created_by_id=clinician.id)
    db.session.add(own)
    cardio = db.session.scalar(select(Referral).where(Referral.fhir_id == "sr-cardio"))
    cardio.status = "booked"  # staff moved the imported referral on
    db.session.commit()
    staff_row = (own.id, own.referred_to, own.reason, own.status, own.updated_at)

    again = imported(tmp_path, resources)
    assert again.counts["referral"] == {"unchanged": 2}
    assert stored()["sr-cardio"][2] == "booked"

    resource(resources, "sr-physio")["status"] = "entered-in-error"
    resource(resources, "sr-cardio")["reasonCode"] = [{"text": "Irregular heartbeat"}]
    result = imported(tmp_path, resources)
    assert result.counts["referral"] == {"changed": 2}
    rows = stored()
    assert set(rows) == {"sr-cardio", None}  # entered in error: removed
    assert rows["sr-cardio"][1:3] == ("Irregular heartbeat", "requested")
    db.session.refresh(own)
    assert (own.id, own.referred_to, own.reason, own.status, own.updated_at) == staff_row

    login_as(client, clinician)
    page = client.get(f"/staff/patients/{patient.id}/appointments").get_data(as_text=True)
    assert "Dermatology, AMC" in page and "Cardiology, OLVG" in page
    assert "Fysiotherapie" not in page


def test_a_referral_about_someone_else_refuses_the_bundle(app, tmp_path):
    resources = referral_resources()
    resources.append({"resourceType": "Group", "id": "grp", "type": "person", "actual": True})
    resource(resources, "sr-cardio")["subject"] = {"reference": "Group/grp"}
    path = write_bundle(tmp_path, "group.json", make_bundle(resources))
    result = import_files([path]).files[0]
    assert "ServiceRequest is about someone other than the bundle's patient" in result.error
    assert db.session.scalar(select(func.count(Referral.id))) == 0
    assert db.session.scalar(select(func.count(Patient.id))) == 0  # the bundle rolled back


def test_the_import_report_counts_referrals(app, tmp_path):
    write_bundle(tmp_path, "referrals.json", make_bundle(referral_resources()))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "import-fhir", "--stats", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "  referral      new    2  changed    0  unchanged    0" in first.output
    again = runner.invoke(args=["portal", "import-fhir", str(tmp_path)])
    assert "  referral      new    0  changed    0  unchanged    2" in again.output


def test_synthea_claim_referral_stubs_are_not_referrals(app):
    files = sorted(SHARED.glob("*.json"))
    stubs = sum(1 for path in files for entry in json.loads(path.read_text())["entry"]
                for contained in entry["resource"].get("contained") or []
                if contained["resourceType"] == "ServiceRequest")
    assert len(files) == 12 and stubs > 0  # the stubs are there to be ignored
    run = import_files([SHARED])
    assert [result.error for result in run.files] == [None] * 12
    assert all("referral" not in result.counts for result in run.files)
    assert db.session.scalar(select(func.count(Referral.id))) == 0
