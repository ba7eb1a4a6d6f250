"""The daily review of proxy access (`flask portal review-proxies`).

The gate already refuses a grant that an age rule or its end date no longer allows, on
the day itself; the review makes that visible: it ends such grants (or, where the child's
consent is now needed, waits for it) and tells the people involved by e-mail. Each change
is claimed with a conditional update and committed only once its e-mails are sent, so a
second run changes nothing and a failed e-mail is tried again next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, has_request_context
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from portal import audit
from portal.clinic import current_clinic
from portal.extensions import db
from portal.family.models import LIVE, PARENTAL, ProxyGrant
from portal.family.rules import clinic_today, parental_access
from portal.mail import portal_url, send_mail
from portal.models import Patient, User
from portal.types import utcnow

#: Statuses the review looks at: grants that give access, or may once accepted.
REVIEWED = (*LIVE, "invited")


@dataclass(frozen=True)
class Change:
    """What the review does to one grant: end it ("end-date", "age"), or wait for the
    child's agreement ("consent")."""

    grant: ProxyGrant
    reason: str

    @property
    def new_status(self) -> str:
        return "pending_consent" if self.reason == "consent" else "ended"


def due_changes(today: date) -> list[Change]:
    """The grants whose end date has passed or that the clinic's age rules now change."""
    clinic = current_clinic()
    grants = db.session.scalars(
        select(ProxyGrant)
        .options(joinedload(ProxyGrant.grantee),
                 joinedload(ProxyGrant.patient).joinedload(Patient.account))
        .where(ProxyGrant.status.in_(REVIEWED),
               or_(ProxyGrant.ends_on < today,
                   and_(ProxyGrant.relationship_kind.in_(PARENTAL),
                        ProxyGrant.invited_by_patient.is_(False))))
        .order_by(ProxyGrant.id))
    changes = []
    for grant in grants:
        rule = (parental_access(grant.patient, today, clinic)
                if grant.relationship_kind in PARENTAL and not grant.invited_by_patient
                else "full")
        if grant.ends_on is not None and grant.ends_on < today:
            changes.append(Change(grant, "end-date"))
        elif rule == "none":
            changes.append(Change(grant, "age"))
        elif (rule == "needs_consent" and grant.status == "active"
              and grant.child_consent_at is None):
            changes.append(Change(grant, "consent"))
    return changes


def review_proxies(today: date | None = None, dry_run: bool = False) -> dict[str, int]:
    """Apply every due change once and tell the people involved; return the counts
    (ended, waiting for consent, e-mails sent, failed)."""
    if not has_request_context():
        # From cron there is no request; links in the mail still need one to be built.
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            return review_proxies(today, dry_run)
    today = today or clinic_today()
    counts = {"ended": 0, "consent": 0, "mails": 0, "failed": 0}
    for change in due_changes(today):
        kind = "consent" if change.reason == "consent" else "ended"
        if dry_run:
            counts[kind] += 1
            continue
        grant, previous = change.grant, change.grant.status
        claimed = db.session.execute(
            update(ProxyGrant).where(ProxyGrant.id == grant.id, ProxyGrant.status == previous)
            .values(status=change.new_status,
                    ended_reason=None if kind == "consent" else change.reason,
                    revoked_at=None if kind == "consent" else utcnow())
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        action = audit.Action.PROXY_ENDED if kind == "ended" else audit.Action.PROXY_NEEDS_CONSENT
        audit.record(action,
                     patient=grant.patient_id,
                     target=f"proxy-grant:{grant.id}; reason:{change.reason}")
        try:
            sent = 0 if previous == "invited" else tell(change)
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            db.session.rollback()
            current_app.logger.exception("Telling about proxy grant %s failed", grant.id)
            counts["failed"] += 1
            continue
        db.session.commit()
        counts[kind] += 1
        counts["mails"] += sent
    return counts


def tell(change: Change) -> int:
    """E-mail the person acting and, when the access ended, the patient; return how many.

    The e-mails name people and the reason, nothing of the record. (An invitation that
    was never accepted ends without them: nobody was acting yet.)
    """
    grant = change.grant
    patient, grantee = grant.patient, grant.grantee
    sent = 0
    template = "family_consent_needed" if change.reason == "consent" else "family_access_ended"
    if grantee.enabled and grantee.email:
        send_mail(grantee.email, template, grantee.locale, user=grantee, patient=patient,
                  reason=change.reason, link=portal_url("family.index"))
        sent += 1
    account: User | None = patient.account
    if change.reason != "consent" and account is not None and account.enabled and account.email:
        send_mail(account.email, "family_proxy_ended", account.locale or patient.preferred_locale,
                  user=account, patient=patient, proxy_name=grantee.display_name,
                  reason=change.reason, link=portal_url("family.index"))
        sent += 1
    return sent
