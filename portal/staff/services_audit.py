"""The audit trail as the clinic reads it: who did what to whose record, when, from where.

Each line names the person (with their staff role; "the clinic's system" for none), the
action by its label from `portal.audit.Action`, the outcome (refusals stand out), the
object touched and the address the request came from. A page of lines costs the same
queries for 5 lines as for 5,000: the actor and the patient are joined into the rows.

What the target column holds is an identifier ("result:12", "user:3"), never health
content; the one free-text part some lines carry (the reason a second sign-in step was
reset) is left out, because the list is read by more people than the one who typed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from portal.access import acts_for_another
from portal.audit import Action
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import AuditEvent, Patient, User
from portal.paging import Page, paginate
from portal.templating import outcome_name, role_name

#: Target parts that are free text typed by a person (left out when shown).
FREE_TEXT = ("reason",)


@dataclass
class Line:
    """One audit line as the clinic's pages show it."""

    at: datetime
    who: str
    role: str | None
    what: str
    outcome: str
    refused: bool
    target: str | None
    remote_addr: str | None
    patient: Patient | None = None
    #: The record of the person who acted, when a patient acted (their name is shown).
    actor_patient_id: int | None = None


def _statement() -> Select:
    """Every line, newest first, with its actor and its patient joined in."""
    return (select(AuditEvent, Patient)
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()))


def patient_lines(patient: Patient, page: int | None = None,
                  per_page: int | None = None) -> Page:
    """One page of what was done to `patient`'s record, newest first (two queries)."""
    found = paginate(_statement().where(AuditEvent.patient_id == patient.id), page, per_page)
    found.items = [line(event, person) for event, person in found.items]
    return found


@dataclass
class Filters:
    """What the administrator's search narrows the trail to; None is "any"."""

    patient_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    first_day: date | None = None
    last_day: date | None = None


def search(filters: Filters, page: int | None = None, per_page: int | None = None) -> Page:
    """One page of the whole trail narrowed by `filters`, newest first (two queries).

    The days are the clinic's: a day runs from midnight to midnight in its time zone.
    """
    conditions = []
    if filters.patient_id is not None:
        conditions.append(AuditEvent.patient_id == filters.patient_id)
    if filters.actor_id is not None:
        conditions.append(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.outcome:
        conditions.append(AuditEvent.outcome == filters.outcome)
    if filters.first_day is not None:
        conditions.append(AuditEvent.occurred_at >= clinic_midnight(filters.first_day))
    if filters.last_day is not None:
        conditions.append(AuditEvent.occurred_at
                          < clinic_midnight(filters.last_day + timedelta(days=1)))
    found = paginate(_statement().where(*conditions), page, per_page)
    found.items = [line(event, person) for event, person in found.items]
    return found


def clinic_midnight(day: date) -> datetime:
    """The moment `day` begins in the clinic's time zone."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(current_clinic().timezone))


def patients_shown(lines: list[Line]) -> set[int]:
    """The patients a list of lines names: whose record each line is about, and a patient
    who acted themselves (their name is on the line)."""
    return ({line.patient.id for line in lines if line.patient is not None}
            | {line.actor_patient_id for line in lines if line.actor_patient_id is not None})


def line(event: AuditEvent, patient: Patient | None = None) -> Line:
    """How the clinic's pages word one audit event, in the reader's language."""
    actor = event.actor
    if actor is None:
        who, role = _("The clinic's system"), None
    else:
        who, role = actor.display_name, (_("acting for the patient")
                                         if acts_for_another(actor, event.patient_id)
                                         else role_name(actor.role))
    return Line(at=event.occurred_at, who=who, role=role, what=label(event.action),
                outcome=outcome_name(event.outcome), refused=event.outcome != "success",
                target=safe_target(event.target), remote_addr=event.remote_addr,
                patient=patient,
                actor_patient_id=actor.patient_id if actor is not None else None)


def label(action: str) -> str:
    """The action's label; a line written under a name no longer used keeps that name."""
    try:
        return Action(action).label
    except ValueError:
        return action


def safe_target(target: str | None) -> str | None:
    """The target without the free text a person typed (see FREE_TEXT)."""
    if not target:
        return None
    parts = [part.strip() for part in target.split(";")]
    kept = [part for part in parts if part.split(":", 1)[0].strip() not in FREE_TEXT]
    return "; ".join(part for part in kept if part) or None


def staff_members() -> list[User]:
    """Every staff account, by name: the choices of the search's "staff member"."""
    from portal.models import STAFF_ROLES

    return list(db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))
                                   .order_by(User.display_name, User.id)))


def find_patient(query: str) -> tuple[int | None, str | None]:
    """The patient a search names: (id, None), or (None, why not) in the reader's language.

    A patient ID matches exactly; otherwise the staff console's patient search decides,
    and it must find exactly one patient.
    """
    from portal.staff.services import search_patients

    query = (query or "").strip()
    found = search_patients(query, page=1, per_page=2)
    exact = [patient for patient in found.items
             if patient.patient_number.upper() == query.upper()]
    if exact:
        return exact[0].id, None
    if found.total == 1:
        return found.items[0].id, None
    if found.total == 0:
        return None, _("No patient matches. Enter a patient ID, a name or a date of birth.")
    return None, _("Patients matching: %(num)d. Enter the patient ID to choose one.",
                   num=found.total)
