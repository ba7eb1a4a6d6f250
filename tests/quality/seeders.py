"""Item seeders: give a patient a record of any length, to show pages do not slow with it.

A feature that adds things a patient accumulates (results, messages, appointments,
invoices, ...) adds a seeder here with `@item_seeder`. The query-growth gate then seeds
every registered kind of item and checks that no patient page runs more queries for a
long record than for a short one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import AuditEvent, Patient, User
from portal.types import utcnow

ItemSeeder = Callable[[Patient, User, int], None]

#: Every registered seeder, in registration order.
SEEDERS: list[ItemSeeder] = []


def item_seeder(seed: ItemSeeder) -> ItemSeeder:
    """Register `seed(patient, user, n)`, which adds `n` items to `patient`'s record."""
    SEEDERS.append(seed)
    return seed


def seed_items(patient: Patient, user: User, n: int) -> None:
    """Give `patient` (whose account is `user`) `n` items of every registered kind."""
    for seed in SEEDERS:
        seed(patient, user, n)
    db.session.commit()


@item_seeder
def sign_in_history(patient: Patient, user: User, n: int) -> None:
    """Sign-ins and sign-outs on the patient's account, as /account/ lists them."""
    start = utcnow() - timedelta(days=n)
    db.session.add_all(
        AuditEvent(action="sign-in" if i % 2 == 0 else "sign-out", outcome="success",
                   actor_id=user.id, patient_id=patient.id, occurred_at=start + timedelta(hours=i),
                   remote_addr="192.0.2.1", user_agent="Seeder")
        for i in range(n)
    )


@item_seeder
def health_record(patient: Patient, user: User, n: int) -> None:
    """A record of `n` visits, `n` results (in reports of five, plus vital signs taken
    without a report) and `n` each of diagnoses, medicines, allergies, vaccinations and
    procedures; much of it recorded at the first visit, so the visit page is long too."""
    from sqlalchemy import insert

    from portal.records.models import KINDS, RecordItem

    start = utcnow() - timedelta(days=n + 1)
    tag = f"seed-{patient.id}"
    rows: list[dict] = []

    def item(kind: str, key, i: int, title: str, **values) -> None:
        fhir_id = f"{tag}-{kind}-{key}"
        values.setdefault("start_at", start + timedelta(days=i))
        rows.append(dict(patient_id=patient.id, kind=kind, fhir_id=fhir_id, title=title,
                         details=values.pop("details", {}), content_hash="seed",
                         resource={"resourceType": KINDS[kind], "id": fhir_id}, **values))

    first_visit = f"{tag}-encounter-0"
    for i in range(n):
        item("encounter", i, i, "General examination of patient", status="finished",
             details={"type": "General examination", "class": "AMB", "reason": "Check-up",
                      "practitioner": "Dr Test", "place": "Test Clinic"})
        visit = first_visit if i % 2 == 0 else f"{tag}-encounter-{i}"
        group = i // 5
        if i % 5 == 0:
            item("report", group, group * 5, "Lipid panel", category="LAB",
                 released_at=start, encounter_ref=visit)
        item("observation", i, group * 5, f"Test {i % 5}", code=f"seed-{i % 5}",
             code_system="http://loinc.org", category="laboratory", status="final",
             value_num=Decimal("94.03117346500946") + i % 7, unit="mg/dL",
             ref_low=Decimal("70") if i % 2 else None, ref_high=Decimal("99") if i % 2 else None,
             flag="high" if i % 7 == 6 else None, report_ref=f"{tag}-report-{group}",
             encounter_ref=visit, released_at=start,
             patient_note="A note from the clinic." if i % 10 == 0 else None)
        if i % 5 == 0:
            item("observation", f"v{i}", i, "Body weight", code="29463-7", category="vital-signs",
                 value_num=Decimal("81.5"), unit="kg", released_at=start, encounter_ref=visit)
        active = i % 2 == 0
        item("condition", i, i, f"Condition {i}", status="active" if active else "resolved",
             encounter_ref=visit, end_at=None if active else start + timedelta(days=i + 1))
        item("medication", i, i, f"Medicine {i}", status="active" if active else "stopped",
             encounter_ref=visit, details={"dosage": "1 tablet a day", "prescriber": "Dr Test"})
        item("procedure", i, i, f"Procedure {i}", status="completed", encounter_ref=visit,
             details={"reason": "Check-up"})
        item("allergy", i, i, f"Allergy {i}", status="active",
             details={"reactions": ["Hives"], "criticality": "low", "type": "allergy"})
        item("immunization", i, i, f"Vaccine {i}", status="completed")
    db.session.execute(insert(RecordItem), rows)


@item_seeder
def documents_and_record_views(patient: Patient, user: User, n: int) -> None:
    """Letters in the record and staff looking at it, as /record/documents and
    /record/activity list them (the files themselves are not needed to list them)."""
    from portal.records.models import Document

    staff = User(username=f"seed-clinician-{patient.id}", role="clinician",
                 display_name="Dr Seed", password_hash="not-a-hash")
    db.session.add(staff)
    db.session.flush()
    start = utcnow() - timedelta(days=n)
    db.session.add_all(
        Document(patient_id=patient.id, title=f"Letter {i}", filename=f"letter-{i}.pdf",
                 content_type="application/pdf", size=1024, sha256="0" * 64,
                 stored_name=f"seed-{patient.id}-{i}", uploaded_at=start + timedelta(hours=i),
                 uploaded_by_id=staff.id)
        for i in range(n))
    db.session.add_all(
        AuditEvent(action="record-viewed", actor_id=staff.id, patient_id=patient.id,
                   target="overview", occurred_at=start + timedelta(hours=i))
        for i in range(n))
