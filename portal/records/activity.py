"""Who did what with a patient's record: the audit trail as the patient reads it.

The page shows what others did with the record (staff looking at it, downloading it,
adding documents, releasing results, the clinic's system updating it, and refused
attempts), and of the patient's own actions only the copies they took out of the portal
(downloads): their own page views would bury everyone else's. Sign-ins are account
events, not record events; the account's security page lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from portal.audit import READS, RECORD_CHANGES, Action
from portal.extensions import db
from portal.i18n import fmt_date
from portal.models import AuditEvent, Patient, User
from portal.paging import Page, paginate
from portal.templating import role_name

#: What the page shows: every read of the patient's data, the changes others made to the
#: record, and refused attempts (from the one list in `portal.audit`).
RECORD_ACTIONS = tuple(sorted(READS | RECORD_CHANGES | {Action.DENIED_RECORDS}))
#: The patient's own actions that the page shows: copies that left the portal.
OWN_ACTIONS = (Action.RECORD_DOWNLOADED, Action.DOCUMENT_DOWNLOADED,
               Action.ATTACHMENT_DOWNLOADED, Action.APPOINTMENT_CALENDAR_DOWNLOADED)

#: record-viewed: the page looked at (the audit target's first word) -> what was done
VIEWED = {
    "overview": _l("Looked at the overview of the record"),
    "results": _l("Looked at the list of results"),
    "result": _l("Looked at a result"),
    "new-results": _l("Looked at the new results"),
    "visits": _l("Looked at the list of visits"),
    "visit": _l("Looked at a visit"),
    "medications": _l("Looked at the medicines"),
    "conditions": _l("Looked at the health problems"),
    "allergies": _l("Looked at the allergies"),
    "immunizations": _l("Looked at the vaccinations"),
    "procedures": _l("Looked at the procedures"),
    "documents": _l("Looked at the list of documents"),
    "results-to-release": _l("Looked at results waiting for release"),
}
#: record-downloaded: the format (from the audit target) -> what was done
DOWNLOADED = {
    "html": _l("Opened the record summary to print or save"),
    "text": _l("Opened the record as plain text"),
    "fhir": _l("Downloaded the record as a FHIR file"),
}


@dataclass
class Entry:
    """One line of the page: when, who (with their role), what, and any detail."""

    at: datetime
    who: str
    role: str | None
    what: str
    detail: str | None = None


def activity_page(patient: Patient, viewer: User, page: int, per_page: int | None = None) -> Page:
    """One page of the record's activity as `Entry`s, newest first, in two queries.

    The actor is joined into the same query as the events, so the page costs the same
    for 5 lines as for 5,000.
    """
    shown = (AuditEvent.patient_id == patient.id, AuditEvent.action.in_(RECORD_ACTIONS),
             or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != viewer.id,
                 AuditEvent.action.in_(OWN_ACTIONS)))
    found = paginate(select(AuditEvent).options(joinedload(AuditEvent.actor)).where(*shown)
                     .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()),
                     page, per_page)
    proxies = _relationships(patient)
    found.items = [entry(event, viewer, proxies) for event in found.items]
    return found


def _relationships(patient: Patient) -> dict[int, str]:
    """User id -> relationship of everyone who acts (or acted) for `patient`, in one query."""
    from portal.family.models import ProxyGrant

    return {user_id: relationship for user_id, relationship in db.session.execute(
        select(ProxyGrant.grantee_user_id, ProxyGrant.relationship_kind)
        .where(ProxyGrant.patient_id == patient.id).order_by(ProxyGrant.id))}


def entry(event: AuditEvent, viewer: User, proxies: dict[int, str] | None = None) -> Entry:
    """How the page words one audit event, in the reader's language; someone acting for
    the patient is named with their relationship ("Anna de Vries (Parent, acting for you)")."""
    from portal.family.forms import RELATIONSHIP_CHOICES

    actor = event.actor
    if actor is None:
        who, role = _("The clinic's system"), None
    elif actor.id == viewer.id:
        who, role = _("You"), None
    elif actor.is_staff:
        who, role = actor.display_name, role_name(actor.role)
    elif actor.id in (proxies or {}):
        relationship = dict(RELATIONSHIP_CHOICES).get(proxies[actor.id], proxies[actor.id])
        who, role = actor.display_name, _("%(relationship)s, acting for you",
                                          relationship=relationship)
    else:
        who, role = actor.display_name, None
    what, detail = _what(event)
    return Entry(event.occurred_at, who, role, what, detail)


def _what(event: AuditEvent) -> tuple[str, str | None]:
    """What was done, and the period of a download when it was not the whole record."""
    facts = _target_facts(event.target)
    if event.action == "record-viewed":
        page = (event.target or "").split(":", 1)[0]
        return str(VIEWED.get(page, Action.RECORD_VIEWED.label)), None
    if event.action == "record-downloaded":
        what = DOWNLOADED.get(facts.get("format", ""), Action.RECORD_DOWNLOADED.label)
        return str(what), _period(facts.get("from"), facts.get("to"))
    return _label(event.action), None


def _label(action: str) -> str:
    """The action's label; a line written by an older version under another name keeps it."""
    try:
        return Action(action).label
    except ValueError:
        return action


def _target_facts(target: str | None) -> dict[str, str]:
    """"format:fhir; from:2024-01-01; to:-" -> {"format": "fhir", "from": ..., "to": ...}."""
    facts = {}
    for part in (target or "").split(";"):
        key, _sep, value = part.strip().partition(":")
        if key and value and value != "-":
            facts[key] = value
    return facts


def _period(start: str | None, end: str | None) -> str | None:
    """The period of a download in words, or None for the whole record."""
    first, last = _day(start), _day(end)
    if first and last:
        return _("Only from %(first)s to %(last)s", first=fmt_date(first), last=fmt_date(last))
    if first:
        return _("Only from %(first)s on", first=fmt_date(first))
    if last:
        return _("Only up to %(last)s", last=fmt_date(last))
    return None


def _day(value: str | None) -> date | None:
    """A date from the audit target, or None when there is none (or it is unreadable)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
