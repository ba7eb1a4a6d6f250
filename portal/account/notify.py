"""Telling a person that something new waits in the portal, the way they chose for its kind.

Every "something new is waiting" e-mail goes through `tell`: a single mail at once, a line
in tomorrow's daily summary, or nothing, as the person chose for the kind in their
notification settings. The mails say only that something waits, with a link; never a
result, a diagnosis or a message text. They go to the outbox (`portal.mail.send_mail`) in
the caller's transaction, so they leave once the change is saved, and only then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context
from sqlalchemy import select, update

from portal.account.models import PendingNotice
from portal.account.services import DAILY, NONE, notification_choices
from portal.extensions import db
from portal.mail import portal_url, send_mail
from portal.models import Patient, User
from portal.types import utcnow


@dataclass(frozen=True)
class Event:
    """Something that can be waiting: the kind a person chooses for, and where it is."""

    kind: str
    endpoint: str


#: Mail template (named after what happened) -> its kind and the page it waits on.
EVENTS = {
    "new_message": Event("messages", "messages.inbox"),
    "prescription_decided": Event("messages", "messages.prescriptions_list"),
    "form_request": Event("appointments", "questionnaires.forms_list"),
    "result_released": Event("results", "records.results"),
    "correction_decided": Event("corrections", "corrections.index"),
    "billing_new_statement": Event("billing", "billing.overview"),
    "billing_plan_decided": Event("billing", "billing.overview"),
    "family_request_decided": Event("family", "family.index"),
}


def tell(user: User, event: str, locale: str | None = None,
         acting_for: str | None = None) -> bool:
    """Tell `user` that `event` happened, as they chose for its kind; whether they will hear.

    `acting_for` is the given name of the patient it is about when `user` acts for them.
    """
    found = EVENTS[event]
    choice = notification_choices(user)[found.kind]
    if choice == NONE or not user.enabled or not user.email:
        return False
    if choice == DAILY:
        db.session.add(PendingNotice(user_id=user.id, kind=found.kind, event=event,
                                     acting_for=acting_for))
        return True
    send_mail(user.email, event, locale or user.locale, user=user,
              link=portal_url(found.endpoint), acting_for=acting_for)
    return True


def tell_patient_side(patient: Patient, permission: str, event: str, *,
                      proxies: bool = True) -> int:
    """Tell the patient's account, and those acting for them with `permission` (unless
    `proxies` is false, e.g. for a confidential item), that `event` happened."""
    from portal.family.services import mail_recipients

    told = 0
    for user, relationship in mail_recipients(patient, permission, EVENTS[event].kind):
        if relationship and not proxies:
            continue
        told += tell(user, event, user.locale or patient.preferred_locale,
                     acting_for=patient.given_name if relationship else None)
    return told


def send_daily_summaries(now: datetime | None = None) -> dict[str, int]:
    """Put one summary mail per person with waiting notices in the outbox; return how many
    were sent and how many people were skipped (their choice is now "none", or they have
    no address). Each person's notices are claimed and their mail stored in one
    transaction: a second run, or a run after a crash, sends nothing twice."""
    now = now or utcnow()
    if not has_request_context():
        # From cron there is no request; links in the mail still need one to be built.
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            return send_daily_summaries(now)
    counts = {"sent": 0, "skipped": 0}
    waiting = db.session.scalars(select(PendingNotice.user_id)
                                 .where(PendingNotice.sent_at.is_(None))
                                 .distinct().order_by(PendingNotice.user_id)).all()
    for user_id in waiting:
        notices = db.session.scalars(select(PendingNotice).where(
            PendingNotice.user_id == user_id, PendingNotice.sent_at.is_(None))).all()
        claimed = db.session.execute(
            update(PendingNotice).where(PendingNotice.id.in_([n.id for n in notices]),
                                        PendingNotice.sent_at.is_(None))
            .values(sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != len(notices):
            db.session.rollback()  # another run has them
            continue
        user = db.session.get(User, user_id)
        lines = _lines(user, notices)
        if lines:
            send_mail(user.email, "daily_summary", _locale(user), user=user, lines=lines,
                      link=portal_url("records.dashboard"))
        counts["sent" if lines else "skipped"] += 1
        db.session.commit()
    return counts


def _lines(user: User | None, notices: list[PendingNotice]) -> list[dict]:
    """The summary's lines: what waits and how many, per event and person, with links;
    kinds the person has since switched off are left out."""
    if user is None or not user.enabled or not user.email:
        return []
    choices = notification_choices(user)
    counted = Counter((n.event, n.acting_for) for n in notices
                      if n.event in EVENTS and choices[EVENTS[n.event].kind] != NONE)
    return [{"event": event, "count": count, "acting_for": acting_for,
             "link": portal_url(EVENTS[event].endpoint)}
            for (event, acting_for), count in sorted(counted.items(),
                                                     key=lambda i: (i[0][0], i[0][1] or ""))]


def _locale(user: User) -> str | None:
    return user.locale or (user.patient.preferred_locale if user.patient else None)
