"""Factories of the family tests: a parent, a child, a grant, and things in the child's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.family.models import ProxyGrant
from portal.family.rules import clinic_today
from portal.files import file_of
from portal.models import AuditEvent, Patient, User
from tests.conftest import make_patient, make_user

PDF = b"%PDF-1.4\n%%EOF\n"


def grant(user: User, patient: Patient, permissions, **values) -> ProxyGrant:
    """A grant for `user` to act for `patient` with `permissions` (active unless told)."""
    found = ProxyGrant(grantee_user_id=user.id, patient_id=patient.id, permissions=permissions,
                       relationship_kind=values.pop("relationship", "parent"),
                       starts_on=values.pop("starts_on", date(2020, 1, 1)),
                       reason=values.pop("reason", "Passport seen"), **values)
    db.session.add(found)
    db.session.commit()
    return found


def parent(**values) -> User:
    """A user who acts only for others: no patient record of their own."""
    user = make_user(**{"display_name": "Anna de Vries", **values})
    user.patient = None
    db.session.commit()
    return user


def child(**values) -> Patient:
    """A child of eight, unless another birth date is given."""
    born = values.pop("birth_date", clinic_today() - timedelta(days=8 * 365 + 2))
    return make_patient(**{"given_name": "Daan", "family_name": "de Vries", "birth_date": born,
                           **values})


def years_ago(years: int, today: date | None = None) -> date:
    """The birth date of someone who turns `years` old `today` (28 February for a leap day)."""
    today = today or clinic_today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def denied(user: User, patient: Patient) -> list[AuditEvent]:
    """The refusals on record of `user` acting on `patient`'s record."""
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == user.id, AuditEvent.patient_id == patient.id,
        AuditEvent.outcome == "denied")))


@dataclass
class ChildData:
    """One of each thing a route of the matrix shows, in the child's record."""

    document: int
    thread: int
    attachment: int
    statement: int


def child_data(patient: Patient, author: User) -> ChildData:
    """A document, a conversation with a file, and a statement for `patient`."""
    from portal.billing.ledger import LineInput, post_statement
    from portal.messages.models import Attachment, Message, Team, Thread
    from portal.records.models import Document

    document = Document(patient_id=patient.id, title="Letter from the hospital",
                        file=file_of(PDF, "letter.pdf"))
    team = Team(names={"en": "Desk"}, topics={"en": "Anything"}, position=1, active=True)
    thread = Thread(patient_id=patient.id, team=team, subject="Swimming", started_by_id=author.id,
                    message_count=1)
    message = Message(thread=thread, author=author, body="May he swim?")
    message.attachments.append(Attachment(file=file_of(PDF, "note.pdf")))
    db.session.add_all([document, team, thread, message])
    db.session.commit()
    statement = post_statement(patient, [LineInput(clinic_today(), "Consultation",
                                                   Decimal("40.00"))], actor=None)
    db.session.commit()
    return ChildData(document.id, thread.id, message.attachments[0].id, statement.id)
