"""Demo data of the family area, loaded by `flask portal demo` (must be safe to run twice).

Marloes Jansen (`marloes`) has no record of her own at the clinic: she signs in only to act
for her son Daan (P-100007), with every right, the child's agreement already recorded (so
the grant holds from his 12th birthday to his 16th under the Dutch rules). Daan has a small
record (a result, a current medicine), one visit of which is confidential: Marloes never
sees it. She has a conversation with the front desk about him, an appointment and a form to
fill in (those come from the appointments and forms demos). Kasia has asked for access to
Jakub's record (P-100014), with a document, for the front desk to check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.demo.records import CENTRE, DOCTOR, DemoRecord
from portal.extensions import db
from portal.family.models import AccessRequest, ProxyGrant
from portal.fhir import making as fhir
from portal.files import file_of
from portal.models import Patient, User
from portal.types import utcnow

PARENT = ("marloes", "Marloes Jansen", "marloes.jansen@mail.example", "nl")
CHILD = "P-100007"
RIGHTS = ["records", "messages", "appointments", "billing", "account"]

#: A pending request: requester's username, child as typed, birth date, document name.
REQUEST = ("kasia", "Jakub", "Kowalski", date(2014, 3, 27), "akt-urodzenia.pdf")
#: The smallest PDF a viewer opens: one empty page.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids"
       b"[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"
       b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _parent(password_hash: str) -> User:
    username, name, email, locale = PARENT
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=name, email=email, role="patient",
                    password_hash=password_hash, locale=locale, email_verified_at=utcnow())
        db.session.add(user)
        db.session.flush()
    return user


def _record(child: Patient) -> None:
    """Daan's small record: a visit, a vaccination, an ear infection, a result, a medicine."""
    record = DemoRecord(child)
    me, doctor, place = record.subject, fhir.reference(DOCTOR), fhir.reference(CENTRE)
    at = _utc
    record.add(fhir.encounter(record.fhir_id("v1"), me, "Encounter for symptom",
                              at("2025-10-02T14:10:00"), visit_class="AMB", code="185345009",
                              reason=fhir.concept("Ear ache", "16001004", fhir.SNOMED),
                              practitioner_ref=doctor, place_ref=place))
    record.add(fhir.immunization(record.fhir_id("i1"), me, "DTaP-IPV", at("2024-03-05T09:00:00"),
                                 code="130"))
    record.add(fhir.condition(record.fhir_id("c1"), me, "Otitis media", at("2025-10-02T14:10:00"),
                              status="resolved", ended=at("2025-10-16T00:00:00"),
                              visit=record.visit("v1"), code="65363002"))
    record.add(fhir.observation(record.fhir_id("o1"), me, "Hemoglobin",
                                at("2025-10-02T14:40:00"), category="laboratory", code="718-7",
                                value=Decimal("7.9"), unit="mmol/L", low=Decimal("7.0"),
                                high=Decimal("9.0"), visit=record.visit("v1")),
               released_at=datetime(2025, 10, 3, 9, 0, tzinfo=UTC))
    record.add(fhir.medication(record.fhir_id("m1"), me, "Cetirizine 1 mg/mL oral solution",
                               at("2026-04-14T10:00:00"), status="active", prescriber=doctor,
                               dosage=fhir.dosage(text="5 mL every evening in the hay fever "
                                                  "season", dose=5, unit="mL", frequency=1,
                                                  period=1, period_unit="d", when="EVE"),
                               reason=fhir.concept("Hay fever", "367498001", fhir.SNOMED),
                               code="R06AE07", system=fhir.ATC))
    # Confidential: adolescent care that his parents never see.
    record.add(fhir.encounter(record.fhir_id("v2"), me, "Consultation",
                              at("2026-09-14T15:30:00"), visit_class="AMB", code="11429006",
                              practitioner_ref=doctor, place_ref=place), confidential=True)
    record.load()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _request(requester: User | None) -> None:
    username, given, family, born, filename = REQUEST
    if requester is None or db.session.scalar(select(AccessRequest.id).where(
            AccessRequest.requester_id == requester.id)):
        return
    db.session.add(AccessRequest(
        requester_id=requester.id, given_name=given, family_name=family, birth_date=born,
        relationship_kind="parent", note="Jestem mamą Jakuba.", decision_note="",
        file=file_of(PDF, filename)))


def _conversation(child: Patient, parent: User, desk: User) -> None:
    """Marloes asked the front desk something for Daan, and has an answer to read."""
    from portal.messages.models import Message, Team, Thread

    team = db.session.scalar(select(Team).order_by(Team.position, Team.id).offset(1).limit(1))
    if team is None or db.session.scalar(select(Thread.id).where(Thread.patient_id == child.id)):
        return
    now = utcnow()
    thread = Thread(patient_id=child.id, team_id=team.id, subject="Swimming lessons",
                    started_by_id=parent.id, message_count=2, created_at=now - timedelta(days=1),
                    last_message_at=now - timedelta(hours=3), unread_by_patient=True,
                    unread_by_staff=False)
    db.session.add(thread)
    db.session.add_all([
        Message(thread=thread, author=parent, sent_at=now - timedelta(days=1),
                body="Hello,\n\nMay Daan go back to swimming lessons now?\n\nMarloes Jansen"),
        Message(thread=thread, author=desk, from_clinic=True, sent_at=now - timedelta(hours=3),
                body="Dear Mrs Jansen,\n\nYes, he may. Dr Jansen says his ears are fine.")])


def load(patients: dict[str, Patient], staff: dict[str, User]) -> None:
    """Add this area's demo data; `patients` by patient number, `staff` by username."""
    child, desk = patients.get(CHILD), staff.get("frontdesk")
    if child is None or desk is None:
        return
    parent = _parent(desk.password_hash)  # every demo account has the same password
    if not db.session.scalar(select(ProxyGrant.id).where(
            ProxyGrant.grantee_user_id == parent.id, ProxyGrant.patient_id == child.id)):
        now = utcnow()
        db.session.add(ProxyGrant(
            grantee_user_id=parent.id, patient_id=child.id, permissions=RIGHTS,
            relationship_kind="parent", starts_on=date(2024, 9, 1), status="active",
            invited_by_patient=False, child_consent_at=now, approved_by_id=desk.id,
            approved_at=now, reason="Birth certificate and passport seen at the desk"))
    _record(child)
    _conversation(child, parent, desk)
    _request(db.session.scalar(select(User).where(User.username == REQUEST[0])))
