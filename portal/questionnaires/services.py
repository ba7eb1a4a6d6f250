"""The rules of forms on the patient's side: giving a form, saving, sending, reading.

Every page loads what it shows in a fixed number of queries (paginated lists, questions
loaded with their form). A sent response is frozen: it keeps a snapshot of the wording
the patient read, so later edits of the form never change what they sent.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import url_for
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.extensions import db
from portal.i18n import locale_str
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.questionnaires.models import (
    FormResponse,
    Questionnaire,
    questionnaire_appointment_types,
)
from portal.types import utcnow


def in_language(texts: dict | None, lang: str | None = None) -> str:
    """The text in the reader's language, else English, else any language that has one."""
    texts = texts or {}
    lang = lang or locale_str()
    return texts.get(lang) or texts.get("en") or next((t for t in texts.values() if t), "")


def patient_responses(patient: Patient, page: int) -> Page:
    """The patient's forms: those still to send first, then the sent ones, newest first."""
    statement = (select(FormResponse).options(joinedload(FormResponse.questionnaire))
                 .where(FormResponse.patient_id == patient.id)
                 .order_by(case((FormResponse.status == "sent", 1), else_=0),
                           FormResponse.requested_at.desc(), FormResponse.id.desc()))
    return paginate(statement, page)


#: How many forms the patient still has to send: a figure of the home page's panel, read
#: with the other panels' (portal/dashboard.py). Built once.
OPEN_COUNT = select(func.count(FormResponse.id)).where(
    FormResponse.patient_id == bindparam("patient_id"), FormResponse.status != "sent")


def find_response(patient: Patient, response_id: int) -> FormResponse | None:
    """The patient's response `response_id` with its form and questions; None if not theirs."""
    return db.session.scalar(
        select(FormResponse)
        .options(joinedload(FormResponse.questionnaire).selectinload(Questionnaire.questions))
        .where(FormResponse.id == response_id, FormResponse.patient_id == patient.id))


def save_answers(response: FormResponse, answers: dict, user: User) -> None:
    """Keep what the patient typed so far (no required checks); audited, one commit."""
    now = utcnow()
    response.answers = dict(answers)
    response.status = "in_progress"
    response.started_at = response.started_at or now
    response.updated_at = now
    audit.record(audit.Action.FORM_SAVED, patient=response.patient_id, actor=user,
                 target=f"form-response:{response.id}")
    db.session.commit()


def submit_answers(response: FormResponse, answers: dict, snapshot: dict, user: User) -> None:
    """Send the answers to the clinic and freeze them with the wording the patient read."""
    now = utcnow()
    response.answers = dict(answers)
    response.snapshot = snapshot
    response.status = "sent"
    response.started_at = response.started_at or now
    response.updated_at = response.submitted_at = now
    response.submitted_by_id = user.id
    audit.record(audit.Action.FORM_SENT, patient=response.patient_id, actor=user,
                 target=f"form-response:{response.id}")
    db.session.commit()


def active_questionnaires() -> list[Questionnaire]:
    """The forms staff can give to patients now."""
    return list(db.session.scalars(select(Questionnaire).where(Questionnaire.status == "active")
                                   .order_by(Questionnaire.id)))


def request_form(patient: Patient, questionnaire: Questionnaire, user: User,
                 tell=None) -> FormResponse:
    """Give `questionnaire` to `patient` to fill in (audited, one commit); `tell(patient)`
    queues the e-mails that a form waits, saved in that commit."""
    response = FormResponse(patient_id=patient.id, questionnaire_id=questionnaire.id,
                            requested_by_id=user.id, answers={})
    db.session.add(response)
    db.session.flush()
    audit.record(audit.Action.FORM_REQUESTED, patient=patient, actor=user,
                 target=f"form-response:{response.id}")
    if tell is not None:
        tell(patient)
    db.session.commit()
    return response


def staff_responses(patient: Patient, page: int) -> Page:
    """Every form given to the patient, for staff, newest first."""
    statement = (select(FormResponse).options(joinedload(FormResponse.questionnaire))
                 .where(FormResponse.patient_id == patient.id)
                 .order_by(FormResponse.requested_at.desc(), FormResponse.id.desc()))
    return paginate(statement, page)


class AppointmentForm(NamedTuple):
    """A form the clinic attached to an appointment's type, as check-in lists it."""

    title: str
    #: Where to fill it in; for a form not started yet, the address to POST to start it.
    url: str
    done: bool
    started: bool


def _attached_forms(type_id: int) -> list[Questionnaire]:
    return list(db.session.scalars(
        select(Questionnaire).join(questionnaire_appointment_types)
        .where(questionnaire_appointment_types.c.appointment_type_id == type_id,
               Questionnaire.status == "active").order_by(Questionnaire.id)))


def forms_for_appointment(appointment) -> list[AppointmentForm]:
    """The forms the clinic attached to the appointment's type, with the patient's copies.

    Only reads: showing the check-in page changes nothing. A copy is made when the
    patient starts a form (`start_form`, a POST). Two queries, however many forms.
    """
    type_id = getattr(appointment, "type_id", None)
    if type_id is None:
        return []
    forms = _attached_forms(type_id)
    if not forms:
        return []
    existing = {r.questionnaire_id: r for r in db.session.scalars(
        select(FormResponse).where(FormResponse.patient_id == appointment.patient_id,
                                   FormResponse.appointment_id == appointment.id))}
    found = []
    for form in forms:
        copy = existing.get(form.id)
        url = (url_for("questionnaires.fill", response_id=copy.id) if copy else
               url_for("questionnaires.start", appointment_id=appointment.id,
                       questionnaire_id=form.id))
        found.append(AppointmentForm(in_language(form.titles), url,
                                     bool(copy and copy.status == "sent"), copy is not None))
    return found


def start_form(appointment, questionnaire_id: int) -> FormResponse | None:
    """The patient's copy of an attached form for this appointment, made if missing;
    None when the form is not attached to the appointment's type (or not in use)."""
    type_id = getattr(appointment, "type_id", None)
    if type_id is None or questionnaire_id not in {f.id for f in _attached_forms(type_id)}:
        return None
    copy = db.session.scalar(select(FormResponse).where(
        FormResponse.patient_id == appointment.patient_id,
        FormResponse.appointment_id == appointment.id,
        FormResponse.questionnaire_id == questionnaire_id))
    if copy is None:
        copy = FormResponse(patient_id=appointment.patient_id, questionnaire_id=questionnaire_id,
                            appointment_id=appointment.id, answers={}, status="to_do",
                            requested_at=utcnow())
        db.session.add(copy)
        db.session.flush()
        audit.record(audit.Action.FORM_REQUESTED, patient=appointment.patient_id,
                     target=f"appointment:{appointment.id}")
        db.session.commit()
    return copy
