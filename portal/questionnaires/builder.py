"""The rules of building forms: drafts change freely, forms in use only in their wording.

A draft can gain and lose questions. Once a form is in use, patients may be answering it,
so its questions keep their kind, options and order (answers refer to them); wording and
hints may still be corrected. To change more, the clinic retires it and edits a copy.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.appointments.models import AppointmentType
from portal.extensions import db
from portal.models import User
from portal.paging import Page, paginate
from portal.questionnaires.models import CHOICE_KINDS, Question, Questionnaire
from portal.types import utcnow

#: Which status a form may move to from each status.
NEXT_STATUSES = {"draft": ("active",), "active": ("retired",), "retired": ("active",)}


class BuilderError(ValueError):
    """A change the rules do not allow; the message is for the member of staff."""


def questionnaires_page(page: int) -> Page:
    """Every form of the clinic, drafts and forms in use first."""
    order = {"draft": 0, "active": 1, "retired": 2}
    statement = select(Questionnaire).order_by(case(order, value=Questionnaire.status),
                                               Questionnaire.id.desc())
    return paginate(statement, page)


def find_questionnaire(questionnaire_id: int) -> Questionnaire | None:
    """The form with its questions and appointment types (three queries)."""
    return db.session.scalar(
        select(Questionnaire).options(selectinload(Questionnaire.questions),
                                      selectinload(Questionnaire.appointment_types))
        .where(Questionnaire.id == questionnaire_id))


def appointment_types() -> list[AppointmentType]:
    """The appointment types a form can be attached to."""
    return list(db.session.scalars(select(AppointmentType).where(AppointmentType.active)
                                   .order_by(AppointmentType.id)))


def save_details(questionnaire: Questionnaire | None, titles: dict, intros: dict,
                 user: User) -> Questionnaire:
    """Create a draft form, or change a form's title and introduction (audited)."""
    if questionnaire is None:
        questionnaire = Questionnaire(status="draft", created_by_id=user.id)
        db.session.add(questionnaire)
    questionnaire.titles, questionnaire.intros = dict(titles), dict(intros)
    questionnaire.updated_at = utcnow()
    db.session.flush()
    audit.record(audit.Action.QUESTIONNAIRE_SAVED,
                 actor=user, target=f"questionnaire:{questionnaire.id}")
    db.session.commit()
    return questionnaire


def _options(kind: str, texts: dict[str, list[str]], old: list | None) -> list:
    """Options as [{code, text: {lang: ...}}]; a language left empty falls back to English."""
    if kind not in CHOICE_KINDS:
        return []
    english = texts.get("en", [])
    codes = [o["code"] for o in old] if old and len(old) == len(english) else \
        [str(n) for n in range(1, len(english) + 1)]
    return [{"code": code, "text": {lang: texts[lang][i] for lang in texts
                                    if len(texts[lang]) == len(english)}}
            for i, code in enumerate(codes)]


def save_question(questionnaire: Questionnaire, question: Question | None, *, kind: str,
                  required: bool, wording: dict, help_texts: dict,
                  options: dict[str, list[str]], min_value: Decimal | None,
                  max_value: Decimal | None, user: User) -> Question:
    """Add a question to a draft, or change one (only its words once the form is in use)."""
    draft = questionnaire.status == "draft"
    if question is None:
        if not draft:
            raise BuilderError("in use")
        position = db.session.scalar(select(func.max(Question.position)).where(
            Question.questionnaire_id == questionnaire.id)) or 0
        question = Question(questionnaire=questionnaire, position=position + 1)
        db.session.add(question)
    if draft:
        question.kind, question.required = kind, required
        number = kind == "number"
        question.min_value = min_value if number else None
        question.max_value = max_value if number else None
    question.options = _options(question.kind, options, question.options)
    question.wording, question.help = dict(wording), dict(help_texts)
    questionnaire.updated_at = utcnow()
    db.session.flush()
    audit.record(audit.Action.QUESTIONNAIRE_SAVED, actor=user,
                 target=f"questionnaire:{questionnaire.id}:question:{question.id}")
    db.session.commit()
    return question


def remove_question(questionnaire: Questionnaire, question: Question, user: User) -> None:
    """Take a question out of a draft; a form in use keeps its questions."""
    if questionnaire.status != "draft":
        raise BuilderError("in use")
    db.session.delete(question)
    questionnaire.updated_at = utcnow()
    audit.record(audit.Action.QUESTIONNAIRE_SAVED, actor=user,
                 target=f"questionnaire:{questionnaire.id}:question:{question.id}:removed")
    db.session.commit()


def set_status(questionnaire: Questionnaire, status: str, user: User) -> None:
    """Put a form in use (it needs a question), or stop giving it to patients."""
    if status not in NEXT_STATUSES.get(questionnaire.status, ()):
        raise BuilderError("status")
    if status == "active" and not questionnaire.questions:
        raise BuilderError("empty")
    questionnaire.status = status
    questionnaire.updated_at = utcnow()
    audit.record(audit.Action(f"questionnaire-{status}"), actor=user,
                 target=f"questionnaire:{questionnaire.id}")
    db.session.commit()


def copy_questionnaire(questionnaire: Questionnaire, user: User) -> Questionnaire:
    """A new draft with the same wording and questions, to change a form in use."""
    copy = Questionnaire(status="draft", created_by_id=user.id, titles=dict(questionnaire.titles),
                         intros=dict(questionnaire.intros))
    copy.questions = [Question(position=q.position, kind=q.kind, required=q.required,
                               wording=dict(q.wording), help=dict(q.help or {}),
                               options=list(q.options or []), min_value=q.min_value,
                               max_value=q.max_value, fhir_link_id=q.fhir_link_id)
                      for q in questionnaire.questions]
    db.session.add(copy)
    db.session.flush()
    audit.record(audit.Action.QUESTIONNAIRE_COPIED, actor=user,
                 target=f"questionnaire:{questionnaire.id}:copy:{copy.id}")
    db.session.commit()
    return copy


def attach(questionnaire: Questionnaire, type_ids: list[int], user: User) -> None:
    """Ask for this form at check-in for exactly these appointment types."""
    wanted = set(type_ids)
    questionnaire.appointment_types = [t for t in appointment_types() if t.id in wanted]
    audit.record(audit.Action.QUESTIONNAIRE_ATTACHED, actor=user,
                 target=f"questionnaire:{questionnaire.id}")
    db.session.commit()
