"""Giving, asking for, switching and ending proxy access: each change with its audit line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.access import Permission
from portal.clinic import current_clinic
from portal.extensions import db
from portal.family.models import LIVE, AccessRequest, ProxyGrant
from portal.family.rules import (
    Ending,
    clinic_today,
    ending,
    forget_links,
    grant_gives_access,
    why_no_access,
)
from portal.files import save_upload
from portal.models import Patient, User
from portal.types import utcnow

#: What a grant can allow: everything but adding documents, which is for staff.
GRANTABLE = tuple(p for p in Permission if p != Permission.ADD_DOCUMENTS)


def clean_permissions(chosen) -> list[str]:
    """The chosen permissions in a fixed order, never one a grant cannot hold."""
    wanted = {str(p) for p in chosen}
    return [str(p) for p in GRANTABLE if str(p) in wanted]


def grants_for_patient(patient_id: int) -> list[ProxyGrant]:
    """People who can (or are invited to) act for the patient, with their accounts."""
    return list(db.session.scalars(
        select(ProxyGrant).options(joinedload(ProxyGrant.grantee))
        .where(ProxyGrant.patient_id == patient_id,
               ProxyGrant.status.in_((*LIVE, "invited")))
        .order_by(ProxyGrant.id).limit(50)))


@dataclass(frozen=True)
class Held:
    """A grant someone holds, as their family page shows it: whether it gives access
    today and, if not, why; and the last day it will."""

    grant: ProxyGrant
    gives_access: bool
    why_not: str | None
    ending: Ending


def held_grants(user: User) -> list[Held]:
    """The grants `user` holds that give access or may again, each explained, in one query."""
    clinic, today = current_clinic(), clinic_today()
    grants = db.session.scalars(
        select(ProxyGrant).options(joinedload(ProxyGrant.patient))
        .where(ProxyGrant.grantee_user_id == user.id, ProxyGrant.status.in_(LIVE))
        .order_by(ProxyGrant.id).limit(50))
    held = []
    for grant in grants:
        gives = grant_gives_access(grant, grant.patient, today, clinic)
        why_not = None if gives else (
            why_no_access(grant.patient, grant.relationship_kind,
                          grant.child_consent_at is not None, today, clinic,
                          invited_by_patient=grant.invited_by_patient)
            or _("The clinic has not yet given this access."))
        held.append(Held(grant, gives, why_not, ending(grant, grant.patient, clinic)))
    return held


def blocked_grants(grants: list[ProxyGrant], patient: Patient) -> dict[int, str]:
    """The live grants of `patient` that give no access today: grant id -> why, in words.

    So that staff never read "Active" for a grant the gate refuses (an age reached
    before the nightly review ended it, an agreement not yet recorded).
    """
    clinic, today = current_clinic(), clinic_today()
    return {grant.id: why_no_access(patient, grant.relationship_kind,
                                    grant.child_consent_at is not None, today, clinic,
                                    invited_by_patient=grant.invited_by_patient)
            or _("The clinic has not yet given this access.")
            for grant in grants if grant.status in LIVE
            and not grant_gives_access(grant, patient, today, clinic)}


def endings_of(grants: list[ProxyGrant], patient: Patient) -> dict[int, Ending]:
    """The last day each of `patient`'s grants gives access, and why: grant id -> Ending."""
    clinic = current_clinic()
    return {grant.id: ending(grant, patient, clinic) for grant in grants}


def requests_of(user: User) -> list[AccessRequest]:
    """The requests `user` sent that wait for the clinic, or were declined, newest first."""
    return list(db.session.scalars(
        select(AccessRequest).where(AccessRequest.requester_id == user.id,
                                    AccessRequest.status.in_(("pending", "declined")))
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc()).limit(20)))


def invitations_for(user: User) -> list[ProxyGrant]:
    """Invitations to act for someone, waiting for `user` to accept."""
    return list(db.session.scalars(
        select(ProxyGrant).options(joinedload(ProxyGrant.patient))
        .where(ProxyGrant.grantee_user_id == user.id, ProxyGrant.status == "invited")
        .order_by(ProxyGrant.id).limit(20)))


def ask(user: User, *, given_name: str, family_name: str, birth_date: date,
        relationship: str, note: str, document: FileStorage | None = None) -> AccessRequest:
    """Record `user`'s request to act for a child, for staff to check, with the optional
    document (a birth certificate, a court order) saved with it."""
    request = AccessRequest(requester_id=user.id, given_name=given_name.strip(),
                            family_name=family_name.strip(), birth_date=birth_date,
                            relationship_kind=relationship, note=note.strip(),
                            decision_note="", file=save_upload(document))
    db.session.add(request)
    db.session.flush()
    audit.record(audit.Action.PROXY_REQUESTED, actor=user, target=f"proxy-request:{request.id}")
    db.session.commit()
    return request


def approve(request: AccessRequest, staff: User, *, patient: Patient, permissions,
            relationship: str, ends_on: date | None, reason: str,
            child_consented: bool, today: date) -> ProxyGrant:
    """Turn a checked request into a grant for the patient staff matched."""
    now = utcnow()
    grant = ProxyGrant(grantee_user_id=request.requester_id, patient_id=patient.id,
                       permissions=clean_permissions(permissions),
                       relationship_kind=relationship, starts_on=today, ends_on=ends_on,
                       status="active", invited_by_patient=False, approved_by_id=staff.id,
                       approved_at=now, reason=reason.strip(),
                       child_consent_at=now if child_consented else None)
    db.session.add(grant)
    db.session.flush()
    request.status, request.decided_by_id, request.decided_at = "approved", staff.id, now
    request.patient_id, request.grant_id, request.decision_note = patient.id, grant.id, reason
    audit.record(audit.Action.PROXY_APPROVED,
                 patient=patient, actor=staff, target=f"proxy-grant:{grant.id}")
    if child_consented:
        audit.record(audit.Action.PROXY_CONSENT, patient=patient, actor=staff,
                     target=f"proxy-grant:{grant.id}")
    _tell_requester(request)
    db.session.commit()
    return grant


def decline(request: AccessRequest, staff: User, note: str) -> None:
    """Decline a request after the identity check, saying why."""
    request.status, request.decided_by_id, request.decided_at = "declined", staff.id, utcnow()
    request.decision_note = note.strip()
    audit.record(audit.Action.PROXY_DECLINED, actor=staff, target=f"proxy-request:{request.id}")
    _tell_requester(request)
    db.session.commit()


def _tell_requester(request: AccessRequest) -> None:
    """Tell whoever asked for access that the clinic decided (not what it decided)."""
    from portal.account.notify import tell

    requester = db.session.get(User, request.requester_id)
    if requester is not None:
        tell(requester, "family_request_decided")


def invite(patient: Patient, invitee: User, *, permissions, relationship: str,
           ends_on: date | None, today: date) -> ProxyGrant:
    """An adult patient invites someone with an account to act for them."""
    grant = ProxyGrant(grantee_user_id=invitee.id, patient_id=patient.id,
                       permissions=clean_permissions(permissions),
                       relationship_kind=relationship, starts_on=today, ends_on=ends_on,
                       status="invited", invited_by_patient=True,
                       reason="invited by the patient")
    db.session.add(grant)
    db.session.flush()
    audit.record(audit.Action.PROXY_INVITED, patient=patient, target=f"proxy-grant:{grant.id}")
    db.session.commit()
    return grant


def accept(grant: ProxyGrant, user: User) -> None:
    """The invitee accepts: the grant starts to give access."""
    grant.status, grant.approved_by_id, grant.approved_at = "active", user.id, utcnow()
    audit.record(audit.Action.PROXY_ACCEPTED,
                 patient=grant.patient_id, target=f"proxy-grant:{grant.id}")
    db.session.commit()
    forget_links()


def revoke(grant: ProxyGrant, by: User) -> None:
    """End a grant now, at the patient's or staff's wish."""
    grant.status, grant.revoked_by_id, grant.revoked_at = "revoked", by.id, utcnow()
    grant.ended_reason = "revoked"
    audit.record(audit.Action.PROXY_REVOKED, patient=grant.patient_id, actor=by,
                 target=f"proxy-grant:{grant.id}")
    db.session.commit()
    forget_links()


def end_by_staff(grant: ProxyGrant, staff: User, note: str) -> None:
    """Staff end a grant now, saying why (kept with the grant, never in the audit line)."""
    grant.revoke_note = note.strip()
    revoke(grant, staff)


def record_consent(grant: ProxyGrant, staff: User) -> None:
    """Staff record that the child agreed to the parent's access (needed from the age the
    clinic's rules name): the grant gives access again."""
    grant.child_consent_at, grant.status = utcnow(), "active"
    audit.record(audit.Action.PROXY_CONSENT, patient=grant.patient_id, actor=staff,
                 target=f"proxy-grant:{grant.id}")
    db.session.commit()
    forget_links()


def grants_of(patient: Patient) -> list[ProxyGrant]:
    """Every grant for `patient`, live ones first, for staff (with the grantees)."""
    live_first = case((ProxyGrant.status.in_(LIVE), 0), (ProxyGrant.status == "invited", 1),
                      else_=2)
    return list(db.session.scalars(
        select(ProxyGrant).options(joinedload(ProxyGrant.grantee))
        .where(ProxyGrant.patient_id == patient.id)
        .order_by(live_first, ProxyGrant.id.desc()).limit(50)))


def mail_recipients(patient: Patient, permission: str,
                    preference: str) -> list[tuple[User, str | None]]:
    """Whom to tell that something of `patient`'s waits in the portal: the patient's own
    account and everyone acting for them with `permission`, each only if they want
    `preference` e-mails. Each comes with the relationship (None for the patient)."""
    from portal.account.services import notification_choices
    from portal.family.rules import proxies_with

    found: list[tuple[User, str | None]] = []
    if patient.account is not None:
        found.append((patient.account, None))
    if current_clinic().feature_on("family"):
        found += proxies_with(patient, permission)
    return [(user, relationship) for user, relationship in found
            if user.enabled and user.email
            and notification_choices(user).get(preference, "mail") != "none"]


def set_age_rules(preset: str, ages: tuple[int | None, int, int] | None = None) -> None:
    """Choose the clinic's age rules: "nl", "pl", or "custom" with `ages` (the age from
    which a parent's access needs the child's consent or None, the age it ends, the age
    from which the child may have an own account)."""
    from portal.clinic_setup import save_clinic
    from portal.family.rules import PRESETS

    if preset not in (*PRESETS, "custom"):
        raise ValueError(f"unknown age rules {preset!r}")
    clinic = save_clinic(proxy_age_preset=preset)
    if ages is not None:
        consent, end, own = ages
        if not (0 < end <= 21 and 0 < own <= end and (consent is None or 0 < consent < end)):
            raise ValueError("ages must be consent < end, own account <= end, end at most 21")
        clinic.proxy_consent_age, clinic.proxy_end_age, clinic.proxy_own_account_age = ages
    db.session.commit()


def child_candidates(query: str) -> list[Patient]:
    """The patients a search for a request's child finds (name, patient ID or birth date)."""
    from portal.staff.services import search_patients

    return list(search_patients(query, page=1, per_page=20).items) if query else []


def named_children(requests: list[AccessRequest]) -> list[int]:
    """The patients whose name (as typed) a list of requests names, in one query: the
    list then shows data about them, and is audited as such."""
    if not requests:
        return []
    names = {(r.given_name.strip().lower(), r.family_name.strip().lower()) for r in requests}
    return list(db.session.scalars(select(Patient.id).where(or_(*(
        and_(func.lower(Patient.given_name) == given, func.lower(Patient.family_name) == family)
        for given, family in names)))))
