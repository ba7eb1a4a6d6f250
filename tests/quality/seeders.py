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

from sqlalchemy import select

from portal.extensions import db
from portal.files import file_of
from portal.models import AuditEvent, Patient, User
from portal.types import utcnow

#: A small PDF for the seeded letters and attachments; the lists never load it.
SEED_PDF = b"%PDF-1.4\n%%EOF\n" + b"0" * 4096

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
    /record/activity list them (the lists never load the files' bytes)."""
    from portal.records.models import Document

    staff = User(username=f"seed-clinician-{patient.id}", role="clinician",
                 display_name="Dr Seed", password_hash="not-a-hash")
    db.session.add(staff)
    db.session.flush()
    start = utcnow() - timedelta(days=n)
    db.session.add_all(
        Document(patient_id=patient.id, title=f"Letter {i}",
                 file=file_of(SEED_PDF, f"letter-{i}.pdf"), uploaded_at=start + timedelta(hours=i),
                 uploaded_by_id=staff.id)
        for i in range(n))
    db.session.add_all(
        AuditEvent(action="record-viewed", actor_id=staff.id, patient_id=patient.id,
                   target="overview", occurred_at=start + timedelta(hours=i))
        for i in range(n))


@item_seeder
def messages_and_repeat_requests(patient: Patient, user: User, n: int) -> None:
    """`n` conversations (the first one `n` messages long, each message with a file, some
    notes) in a team with `n` members, and `n` repeat prescription requests."""
    from portal.messages.models import (
        Attachment,
        Message,
        RepeatRequest,
        Team,
        TeamMember,
        Thread,
    )

    staff = [User(username=f"seed-desk-{patient.id}-{i}", role="front_desk",
                  display_name=f"Desk {i}", password_hash="not-a-hash") for i in range(n)]
    team = Team(names={"en": f"Seed team {patient.id}"}, topics={"en": "Seeded"}, position=0)
    db.session.add_all([team, *staff])
    db.session.flush()
    db.session.add_all(TeamMember(team_id=team.id, user_id=member.id) for member in staff)
    start = utcnow() - timedelta(days=n)
    threads = [Thread(patient_id=patient.id, team_id=team.id, subject=f"Question {i}",
                      started_by_id=user.id, assigned_to_id=staff[i].id,
                      created_at=start + timedelta(hours=i),
                      last_message_at=start + timedelta(hours=i),
                      waiting_since=start + timedelta(hours=i), unread_by_patient=i % 2 == 0,
                      message_count=n if i == 0 else 1) for i in range(n)]
    db.session.add_all(threads)
    db.session.flush()
    long_thread = threads[0]
    for i in range(n):
        kind = "note" if i % 10 == 9 else "message"
        message = Message(thread_id=long_thread.id, author_id=staff[i].id if i % 2 else user.id,
                          from_clinic=bool(i % 2), kind=kind, body=f"Message {i}\nline two",
                          sent_at=start + timedelta(minutes=i))
        message.attachments.append(Attachment(file=file_of(SEED_PDF, f"scan-{i}.pdf")))
        db.session.add(message)
    db.session.add_all(Message(thread_id=thread.id, author_id=user.id, body="Hello",
                               sent_at=thread.created_at) for thread in threads[1:])
    db.session.add_all(RepeatRequest(patient_id=patient.id, medication=f"Medicine {i}",
                                     pharmacy="Seed pharmacy", requested_by_id=user.id,
                                     requested_at=start + timedelta(hours=i),
                                     status=("requested", "approved", "declined")[i % 3],
                                     reason="Because." if i % 3 == 2 else "",
                                     decided_by_id=staff[0].id if i % 3 else None,
                                     decided_at=start + timedelta(hours=i + 1) if i % 3 else None)
                       for i in range(n))


@item_seeder
def billing_account(patient: Patient, user: User, n: int) -> None:
    """`n` statements of two lines (with their charge and insurance entries), `n` desk
    payments each paying part of one statement, and `n` versions of insurance cover, as
    /billing, /billing/payments, the staff ledger and /billing/insurance list them."""
    from datetime import date

    from portal.billing.models import Coverage, LedgerEntry, Payment, Statement, StatementLine

    today, start = date.today(), utcnow() - timedelta(days=n)
    statements = [Statement(patient_id=patient.id, number=f"S{patient.id}-{i}",
                            issued_on=today - timedelta(days=n - i),
                            due_on=today + timedelta(days=30 - (n - i)), currency="EUR",
                            lines=[StatementLine(service_date=today, description=f"Visit {i}",
                                                 charged=Decimal("80.00"),
                                                 insurance_paid=Decimal("50.00")),
                                   StatementLine(service_date=today, description=f"Test {i}",
                                                 charged=Decimal("20.00"),
                                                 insurance_paid=Decimal("0.00"))])
                  for i in range(n)]
    db.session.add_all(statements)
    payments = [Payment(patient_id=patient.id, amount=Decimal("10.00"), currency="EUR",
                        method="cash", status="paid", paid_at=start + timedelta(hours=i),
                        created_at=start + timedelta(hours=i)) for i in range(n)]
    db.session.add_all(payments)
    db.session.flush()
    entries = []
    for i, (statement, payment) in enumerate(zip(statements, payments, strict=True)):
        at = start + timedelta(hours=i)
        for line in statement.lines:
            entries.append(LedgerEntry(patient_id=patient.id, kind="charge", amount=line.charged,
                                       currency="EUR", statement_id=statement.id,
                                       line_id=line.id, occurred_at=at))
            if line.insurance_paid:
                entries.append(LedgerEntry(patient_id=patient.id, kind="insurance",
                                           amount=-line.insurance_paid, currency="EUR",
                                           statement_id=statement.id, line_id=line.id,
                                           occurred_at=at))
        entries.append(LedgerEntry(patient_id=patient.id, kind="payment", amount=-payment.amount,
                                   currency="EUR", statement_id=statement.id,
                                   payment_id=payment.id, occurred_at=at))
    db.session.add_all(entries)
    db.session.add_all(
        Coverage(patient_id=patient.id, insurer=f"Insurer {i}", member_number=f"M-{i}",
                 holder_name=patient.full_name, valid_from=today, needs_review=i % 2 == 0,
                 created_at=start + timedelta(hours=i))
        for i in range(n))


@item_seeder
def appointments_and_referrals(patient: Patient, user: User, n: int) -> None:
    """`n` appointments (half past, some cancelled, half to come) and `n` referrals, as
    /appointments, /appointments/past, /appointments/referrals and staff's list show them."""
    from sqlalchemy import insert

    from portal.appointments.models import (
        Appointment,
        AppointmentType,
        Location,
        Practitioner,
        Referral,
        Slot,
    )

    kind = AppointmentType(names={"en": "Seeded visit"}, duration_minutes=10,
                           bookable_online=False, cancel_cutoff_hours=24, active=True)
    who = Practitioner(name=f"Dr Seed {patient.id}", active=True)
    where = Location(name="Seed Clinic", address="Seed Street 1", active=True)
    db.session.add_all([kind, who, where])
    db.session.flush()
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(days=n)
    # Half in the past (some cancelled), half to come; the next one is always two days
    # ahead and booked, whatever n, so every crawl sees the same kind of page.
    past, coming = n // 2, n - n // 2
    starts = ([now - timedelta(days=i + 1) for i in range(past)]
              + [now + timedelta(days=j + 2) for j in range(coming)])
    db.session.execute(insert(Slot), [
        dict(starts_at=s, ends_at=s + timedelta(minutes=10), practitioner_id=who.id,
             location_id=where.id, appointment_type_id=kind.id, created_at=start)
        for s in starts])
    slots = dict(db.session.execute(select_slots(who.id)).all())
    db.session.execute(insert(Appointment), [
        dict(patient_id=patient.id, slot_id=slots[s],
             appointment_type_id=kind.id,
             starts_at=s, ends_at=s + timedelta(minutes=10),
             status="cancelled" if i < past and i % 7 == 3 else "booked",
             reason="Seeded reason",
             booked_at=start, check_in={}) for i, s in enumerate(starts)])
    db.session.execute(insert(Referral), [
        dict(patient_id=patient.id, referred_to=f"Specialist {i}", reason="Seeded referral",
             status="sent", referred_on=(start + timedelta(days=i)).date(), updated_at=start)
        for i in range(n)])


def select_slots(practitioner_id: int):
    """(start as stored, slot id) of one practitioner's slots."""
    from sqlalchemy import select

    from portal.appointments.models import Slot

    return select(Slot.starts_at, Slot.id).where(Slot.practitioner_id == practitioner_id)


@item_seeder
def forms_to_fill_in(patient: Patient, user: User, n: int) -> None:
    """`n` forms given to the patient (a third sent, with their answers), as /forms and
    staff's /staff/patients/<id>/forms list them."""
    from portal.questionnaires.models import FormResponse, Question, Questionnaire

    form = Questionnaire(status="active", titles={"en": f"Seeded form {patient.id}"},
                         questions=[Question(position=1, kind="text", wording={"en": "Why?"})])
    db.session.add(form)
    db.session.flush()
    start = utcnow() - timedelta(days=n)
    db.session.add_all(
        FormResponse(patient_id=patient.id, questionnaire_id=form.id,
                     status="sent" if i % 3 == 0 else "to_do",
                     answers={str(form.questions[0].id): "Because"} if i % 3 == 0 else {},
                     requested_at=start + timedelta(hours=i),
                     submitted_at=start + timedelta(hours=i + 1) if i % 3 == 0 else None)
        for i in range(n))


@item_seeder
def correction_requests(patient: Patient, user: User, n: int) -> None:
    """`n` requests to correct the patient's results, open and decided, as the patient's
    and staff's lists of corrections show them (seeded after the record they are about)."""
    from portal.corrections.models import CorrectionRequest
    from portal.corrections.services import due_date, item_snapshot
    from portal.family.rules import clinic_today
    from portal.records.models import RecordItem

    db.session.flush()
    items = db.session.scalars(select(RecordItem).where(
        RecordItem.patient_id == patient.id, RecordItem.kind == "observation")
        .order_by(RecordItem.id).limit(n)).all()
    today = clinic_today()
    for i, item in enumerate(items):
        db.session.add(CorrectionRequest(
            patient_id=patient.id, record_item_id=item.id, reason="wrong-value",
            details="The value looks wrong.", requested_by_id=user.id,
            due_on=due_date(today), original=item_snapshot(item),
            status="open" if i % 2 == 0 else "declined",
            decision_note=None if i % 2 == 0 else "The laboratory checked it.",
            decided_at=None if i % 2 == 0 else utcnow()))
