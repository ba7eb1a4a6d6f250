"""Models of the questionnaires area: forms the clinic builds and the answers patients give."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.appointments.models import AppointmentType
from portal.extensions import db
from portal.models import Patient, User
from portal.types import UTCDateTime, utcnow

#: What a question asks for, in the order the builder offers them.
KINDS = ("text", "long_text", "number", "date", "single_choice", "multiple_choice", "yes_no")
CHOICE_KINDS = ("single_choice", "multiple_choice")
#: A form's life: drafted, given to patients, then no longer given to anyone new.
STATUSES = ("draft", "active", "retired")
#: A patient's copy of a form: nothing typed yet, saved for later, sent to the clinic.
RESPONSE_STATUSES = ("to_do", "in_progress", "sent")

#: Which forms the clinic attached to which appointment types (check-in asks for them).
questionnaire_appointment_types = Table(
    "questionnaire_appointment_types", db.metadata,
    Column("questionnaire_id", ForeignKey("questionnaires.id", ondelete="CASCADE"),
           primary_key=True),
    Column("appointment_type_id", ForeignKey("appointment_types.id", ondelete="CASCADE"),
           primary_key=True),
)


class Questionnaire(db.Model):
    """A form the clinic built (or imported from FHIR), with its wording in each language."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: {"en": "Before your first visit", "nl": "...", "pl": "..."}
    titles: Mapped[dict] = mapped_column(JSON, default=dict)
    intros: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the form came from a FHIR Questionnaire (its canonical url and version).
    fhir_url: Mapped[str | None] = mapped_column(String(400))
    fhir_version: Mapped[str | None] = mapped_column(String(40))

    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="Question.position",
        cascade="all, delete-orphan")
    appointment_types: Mapped[list[AppointmentType]] = relationship(
        secondary=questionnaire_appointment_types)


class Question(db.Model):
    """One question of a form; choice kinds carry their options in every language."""

    __tablename__ = "questionnaire_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    wording: Mapped[dict] = mapped_column(JSON, default=dict)
    help: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{"code": "1", "text": {"en": ..., "nl": ..., "pl": ...}}, ...] for choice kinds.
    options: Mapped[list] = mapped_column(JSON, default=list)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    #: The item's linkId when imported from FHIR.
    fhir_link_id: Mapped[str | None] = mapped_column(String(100))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")


class FormResponse(db.Model):
    """A form given to one patient, and what they answered; frozen once sent.

    `appointment_id` has no foreign key on purpose: the appointments table is its own
    area's, and a response outlives a cancelled appointment.
    """

    __tablename__ = "form_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    appointment_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="to_do")
    #: {"<question id>": "text" | "1.5" | "2026-03-31" | "code" | ["code", ...]}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: What the patient sent, wording included, in the language they read it in.
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When a member of staff marked the sent form as dealt with (None: new to staff).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    patient: Mapped[Patient] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])

    __table_args__ = (Index("ix_form_responses_patient", "patient_id", "status"),
                      Index("ix_form_responses_sent", "status", "handled_at", "submitted_at"),
                      Index("ix_form_responses_appointment", "appointment_id"))

    @property
    def is_sent(self) -> bool:
        return self.status == "sent"
