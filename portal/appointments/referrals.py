"""Referrals to specialists and services: entered by staff or imported with the record."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import audit
from portal.appointments.models import Referral
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.types import utcnow

STATUS_NAMES = {
    "requested": _l("Requested"),
    "sent": _l("Sent to the specialist"),
    "accepted": _l("Accepted"),
    "booked": _l("Appointment made"),
    "completed": _l("Completed"),
    "declined": _l("Declined"),
    "cancelled": lazy_pgettext("referral", "Cancelled"),
}


def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


def referrals_page(patient: Patient, page: int, per_page: int | None = None) -> Page:
    """The patient's referrals, newest first."""
    return paginate(select(Referral).where(Referral.patient_id == patient.id)
                    .options(joinedload(Referral.created_by))
                    .order_by(Referral.referred_on.desc(), Referral.id.desc()), page, per_page)


def find_referral(patient: Patient, referral_id: int) -> Referral | None:
    """The patient's referral `referral_id`, or None."""
    return db.session.scalar(select(Referral).where(Referral.id == referral_id,
                                                    Referral.patient_id == patient.id))


def add_referral(patient: Patient, referred_to: str, reason: str, status: str,
                 referred_on: date, actor: User) -> Referral:
    """Record a referral the clinic made."""
    referral = Referral(patient_id=patient.id, referred_to=referred_to.strip(),
                        reason=reason.strip(), status=status, referred_on=referred_on,
                        created_by_id=actor.id, updated_at=utcnow())
    db.session.add(referral)
    db.session.flush()
    audit.record(audit.Action.REFERRAL_ADDED, patient=patient, target=f"referral:{referral.id}")
    db.session.commit()
    return referral


def set_status(referral: Referral, status: str) -> None:
    """Move the referral on (e.g. sent, accepted, completed)."""
    referral.status = status
    referral.updated_at = utcnow()
    audit.record(audit.Action.REFERRAL_UPDATED, patient=referral.patient_id,
                 target=f"referral:{referral.id}:{status}")
    db.session.commit()
