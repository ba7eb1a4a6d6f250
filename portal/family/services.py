"""Giving, asking for, switching and ending proxy access: each change with its audit line."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.access import Permission
from portal.extensions import db
from portal.family.models import LIVE, AccessRequest, ProxyGrant
from portal.family.rules import forget_links
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


def invitations_for(user: User) -> list[ProxyGrant]:
    """Invitations to act for someone, waiting for `user` to accept."""
    return list(db.session.scalars(
        select(ProxyGrant).options(joinedload(ProxyGrant.patient))
        .where(ProxyGrant.grantee_user_id == user.id, ProxyGrant.status == "invited")
        .order_by(ProxyGrant.id).limit(20)))


def ask(user: User, *, given_name: str, family_name: str, birth_date: date,
        relationship: str, note: str) -> AccessRequest:
    """Record `user`'s request to act for a child, for staff to check."""
    request = AccessRequest(requester_id=user.id, given_name=given_name.strip(),
                            family_name=family_name.strip(), birth_date=birth_date,
                            relationship_kind=relationship, note=note.strip(),
                            decision_note="")
    db.session.add(request)
    db.session.flush()
    audit.record("proxy-requested", actor=user, target=f"proxy-request:{request.id}")
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
    audit.record("proxy-approved", patient=patient, actor=staff, target=f"proxy-grant:{grant.id}")
    if child_consented:
        audit.record("proxy-consent", patient=patient, actor=staff,
                     target=f"proxy-grant:{grant.id}")
    db.session.commit()
    return grant


def decline(request: AccessRequest, staff: User, note: str) -> None:
    """Decline a request after the identity check, saying why."""
    request.status, request.decided_by_id, request.decided_at = "declined", staff.id, utcnow()
    request.decision_note = note.strip()
    audit.record("proxy-declined", actor=staff, target=f"proxy-request:{request.id}")
    db.session.commit()


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
    audit.record("proxy-invited", patient=patient, target=f"proxy-grant:{grant.id}")
    db.session.commit()
    return grant


def accept(grant: ProxyGrant, user: User) -> None:
    """The invitee accepts: the grant starts to give access."""
    grant.status, grant.approved_by_id, grant.approved_at = "active", user.id, utcnow()
    audit.record("proxy-accepted", patient=grant.patient_id, target=f"proxy-grant:{grant.id}")
    db.session.commit()
    forget_links()


def revoke(grant: ProxyGrant, by: User) -> None:
    """End a grant now, at the patient's or staff's wish."""
    grant.status, grant.revoked_by_id, grant.revoked_at = "revoked", by.id, utcnow()
    grant.ended_reason = "revoked"
    audit.record("proxy-revoked", patient=grant.patient_id, actor=by,
                 target=f"proxy-grant:{grant.id}")
    db.session.commit()
    forget_links()


def find_patient(number: str) -> Patient | None:
    """The patient with this patient number, for staff matching a request."""
    return db.session.scalar(select(Patient).where(Patient.patient_number == number.strip()))
