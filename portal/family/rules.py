"""The rules of proxy access: the clinic's age rules, and whom a user may act for today.

The gate (`portal.access`) asks `links_for(user)` once per request; the answer is kept in
`g` as plain values, so a commit later in the request never loads the grants again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import g, has_request_context
from flask_babel import ngettext
from sqlalchemy import select

from portal.extensions import db
from portal.family.models import LIVE, PARENTAL, ProxyGrant
from portal.models import ClinicSettings, Patient, User
from portal.types import utcnow

#: Preset -> (age from which a parent needs the child's consent or None, age access ends,
#: age from which the child may have an own account).
PRESETS = {"nl": (12, 16, 12), "pl": (None, 18, 16)}


@dataclass(frozen=True)
class Link:
    """Someone a user may act for today, and with which permissions."""

    patient_id: int
    name: str
    given_name: str
    permissions: frozenset[str]
    relationship: str


def ages(clinic: ClinicSettings) -> tuple[int | None, int, int]:
    """The clinic's (consent age, end age, own-account age) from its preset or custom ages."""
    preset = PRESETS.get(clinic.proxy_age_preset or "nl")
    if preset is not None:
        return preset
    end_age = clinic.proxy_end_age if clinic.proxy_end_age is not None else 18
    own = clinic.proxy_own_account_age if clinic.proxy_own_account_age is not None else end_age
    return clinic.proxy_consent_age, end_age, own


def age_on(birth_date: date, today: date) -> int:
    """Completed years on `today`; someone born on 29 February turns a year older on 1 March
    in a year without one."""
    return today.year - birth_date.year - ((today.month, today.day)
                                          < (birth_date.month, birth_date.day))


def parental_access(patient: Patient, today: date, clinic: ClinicSettings) -> str:
    """"full", "needs_consent" or "none": what a parent's access to `patient` is today."""
    consent_age, end_age, _ = ages(clinic)
    age = age_on(patient.birth_date, today)
    if age >= end_age:
        return "none"
    if consent_age is not None and age >= consent_age:
        return "needs_consent"
    return "full"


def may_have_own_account(patient: Patient, today: date, clinic: ClinicSettings) -> bool:
    """Whether the age rules let `patient` have an own account today."""
    return age_on(patient.birth_date, today) >= ages(clinic)[2]


def grant_gives_access(grant: ProxyGrant, patient: Patient, today: date,
                       clinic: ClinicSettings) -> bool:
    """Whether `grant` lets its grantee act at all today (the permissions aside)."""
    if grant.status not in LIVE or grant.starts_on > today:
        return False
    if grant.ends_on is not None and grant.ends_on < today:
        return False
    if grant.relationship_kind in PARENTAL and not grant.invited_by_patient:
        rule = parental_access(patient, today, clinic)
        if rule == "none" or (rule == "needs_consent" and grant.child_consent_at is None):
            return False
    return grant.status == "active" or grant.child_consent_at is not None


def clinic_today() -> date:
    """Today's date where the clinic is (grants start and end on the clinic's dates)."""
    from zoneinfo import ZoneInfo

    from portal.clinic import current_clinic

    return utcnow().astimezone(ZoneInfo(current_clinic().timezone or "UTC")).date()


def links_for(user) -> list[Link]:
    """Whom `user` may act for today through a grant, in one query, kept for the request."""
    key = f"proxy_links_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    from portal.clinic import current_clinic

    clinic, today = current_clinic(), clinic_today()
    rows = db.session.execute(
        select(ProxyGrant, Patient).join(Patient, Patient.id == ProxyGrant.patient_id)
        .where(ProxyGrant.grantee_user_id == user.id, ProxyGrant.status.in_(LIVE))
        .order_by(Patient.given_name, Patient.id)).all()
    links = [Link(patient.id, patient.full_name, patient.given_name,
                  frozenset(grant.permissions or ()), grant.relationship_kind)
             for grant, patient in rows if grant_gives_access(grant, patient, today, clinic)]
    if has_request_context():
        setattr(g, key, links)
    return links


def proxies_with(patient: Patient, permission: str) -> list[tuple[User, str]]:
    """The accounts that act for `patient` today with `permission`, each with the
    relationship, in one query (for e-mails that tell the patient's side to look)."""
    from portal.clinic import current_clinic

    clinic, today = current_clinic(), clinic_today()
    rows = db.session.execute(
        select(ProxyGrant, User).join(User, User.id == ProxyGrant.grantee_user_id)
        .where(ProxyGrant.patient_id == patient.id, ProxyGrant.status.in_(LIVE))
        .order_by(ProxyGrant.id)).all()
    found: dict[int, tuple[User, str]] = {}
    for grant, user in rows:
        if (permission in (grant.permissions or ()) and user.enabled
                and grant_gives_access(grant, patient, today, clinic)):
            found.setdefault(user.id, (user, grant.relationship_kind))
    return list(found.values())


def ever_granted(user, patient_id: int) -> bool:
    """Whether `user` ever held a grant for the patient (whatever its state now)."""
    return db.session.scalar(select(ProxyGrant.id).where(
        ProxyGrant.grantee_user_id == user.id, ProxyGrant.patient_id == patient_id,
        ProxyGrant.status != "invited").limit(1)) is not None


#: Set in the session once the family page found grants for a user with an own record.
_HAS_LINKS_KEY = "proxy_has_links"


def bar_links(user) -> list[Link]:
    """`links_for` for the bar of a user with an own record: only once the family page (or
    a switch) found grants in this session, so ordinary patients' pages keep their query
    count. The gate itself never uses this shortcut."""
    from flask import session

    if not session.get(_HAS_LINKS_KEY):
        return []
    return links_for(user)


def note_links(user) -> None:
    """Remember in the session whether `user` acts for anyone (for the bar)."""
    from flask import session

    forget_links()
    if links_for(user):
        session[_HAS_LINKS_KEY] = True
    else:
        session.pop(_HAS_LINKS_KEY, None)


def forget_links() -> None:
    """Drop the request's cached answer (after a grant changed in this request)."""
    if has_request_context():
        for key in [k for k in g if k.startswith("proxy_links_")]:
            g.pop(key)


def birthday(birth_date: date, age: int) -> date:
    """The day someone born on `birth_date` turns `age` (1 March for a 29 February birth)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return date(birth_date.year + age, 3, 1)


def why_no_access(patient: Patient, relationship: str, child_consented: bool, today: date,
                  clinic: ClinicSettings, *, invited_by_patient: bool = False) -> str | None:
    """Why the clinic's age rules give a parent no access to `patient` today, in words.

    The same rules the gate applies at every request (`grant_gives_access`), said so that
    staff know what is missing before they approve, and the parent knows why they wait.
    None when the rules allow the access.
    """
    if relationship not in PARENTAL or invited_by_patient:
        return None
    consent_age, end_age, _own = ages(clinic)
    rule = parental_access(patient, today, clinic)
    age = age_on(patient.birth_date, today)
    if rule == "none":
        return ngettext(
            "%(name)s is %(num)d year old. Under the clinic's rules a parent's access ends "
            "at %(end)d.", "%(name)s is %(num)d years old. Under the clinic's rules a "
            "parent's access ends at %(end)d.", age, name=patient.given_name, end=end_age)
    if rule == "needs_consent" and not child_consented:
        return ngettext(
            "%(name)s is %(num)d year old. From %(consent)d the clinic's rules need the "
            "child's own agreement: ask %(name)s first.", "%(name)s is %(num)d years old. "
            "From %(consent)d the clinic's rules need the child's own agreement: ask "
            "%(name)s first.", age, name=patient.given_name, consent=consent_age)
    return None


@dataclass(frozen=True)
class Ending:
    """The last day a grant gives access, and why: its own end date, or an age rule."""

    on: date | None
    #: "end-date" (the date set on the grant) or "age" (the child reaches the end age)
    reason: str | None = None
    age: int | None = None


def ending(grant: ProxyGrant, patient: Patient, clinic: ClinicSettings) -> Ending:
    """The last day on which `grant` gives access, and why; no end: Ending(None)."""
    by_age = None
    if grant.relationship_kind in PARENTAL and not grant.invited_by_patient:
        end_age = ages(clinic)[1]
        by_age = Ending(birthday(patient.birth_date, end_age) - timedelta(days=1), "age",
                        end_age)
    by_date = Ending(grant.ends_on, "end-date") if grant.ends_on is not None else None
    if by_age and (by_date is None or by_age.on <= by_date.on):
        return by_age
    return by_date or Ending(None)
