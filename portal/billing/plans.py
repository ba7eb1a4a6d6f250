"""Payment plans: a patient asks to pay one statement in monthly instalments; staff decide.

Kept modest on purpose: a plan does not book anything by itself. Once approved, the
statement shows the instalments and their months, and the patient pays each one with
the ordinary pay flow (a partial payment on that statement).

Declining needs a reason, which the patient reads on the statement page; either answer is
told to the patient's side by e-mail (saying only that the clinic answered). A declined
plan stays for the history and the patient may ask again for the same statement.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit
from portal.billing import notify
from portal.billing.models import PaymentPlan
from portal.billing.money import split_instalments
from portal.billing.services import StatementView
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.types import utcnow

INSTALMENT_CHOICES = (2, 3, 4, 6)
#: The longest reason for declining a plan, in characters.
NOTE_LIMIT = 1000


def may_ask(view: StatementView, plan: PaymentPlan | None) -> bool:
    """Whether the patient may ask for a plan for this statement now: none asked yet, or
    the latest was declined. `plan` is the statement's latest plan."""
    return (current_clinic().payment_plans_offered and view.owed > 0
            and (plan is None or plan.status == "declined"))


def plans_for(statement_id: int) -> list[PaymentPlan]:
    """Every plan asked for the statement, the latest first (earlier ones were declined)."""
    return list(db.session.scalars(
        select(PaymentPlan).where(PaymentPlan.statement_id == statement_id)
        .order_by(PaymentPlan.requested_at.desc(), PaymentPlan.id.desc())))


def request_plan(patient: Patient, user: User, view: StatementView,
                 instalments: int) -> PaymentPlan:
    """Record the patient's request for staff to approve, audited."""
    plan = PaymentPlan(patient_id=patient.id, statement_id=view.statement.id,
                       instalments=instalments)
    db.session.add(plan)
    db.session.flush()
    audit.record(audit.Action.PLAN_REQUESTED, patient=patient, actor=user, target=f"plan:{plan.id}")
    db.session.commit()
    return plan


def schedule(plan: PaymentPlan, owed: Decimal, start: date) -> list[tuple[date, Decimal]]:
    """(month, amount) of each instalment of what is still owed, from `start`'s month."""
    months = []
    for index, amount in enumerate(split_instalments(owed, plan.instalments)):
        month = start.month - 1 + index
        months.append((date(start.year + month // 12, month % 12 + 1, 1), amount))
    return months


def requested_page(page: int, per_page: int | None = None) -> Page:
    """Plans waiting for a decision, oldest first."""
    return paginate(
        select(PaymentPlan).options(joinedload(PaymentPlan.patient),
                                    joinedload(PaymentPlan.statement))
        .where(PaymentPlan.status == "requested")
        .order_by(PaymentPlan.requested_at, PaymentPlan.id), page, per_page)


def requested_count() -> int:
    return db.session.scalar(select(func.count(PaymentPlan.id))
                             .where(PaymentPlan.status == "requested")) or 0


def decide(plan: PaymentPlan, user: User, approve: bool, note: str | None = None) -> bool:
    """Approve, or decline with `note` (the reason the patient reads), a requested plan;
    audited, and the patient's side is told by e-mail that the clinic answered.

    Decided once: the plan is claimed with its status in one UPDATE, so a colleague's
    decision at the same instant changes nothing and returns False.
    """
    note = (note or "").strip()
    if not approve and not note:
        raise ValueError("declining a payment plan needs a reason")
    values = {"status": "approved" if approve else "declined", "decided_at": utcnow(),
              "decided_by_id": user.id, "decision_note": None if approve else note[:NOTE_LIMIT]}
    claimed = db.session.execute(
        update(PaymentPlan).where(PaymentPlan.id == plan.id, PaymentPlan.status == "requested")
        .values(**values).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return False
    for name, value in values.items():
        set_committed_value(plan, name, value)
    audit.record(audit.Action(f"plan-{plan.status}"), patient=plan.patient_id, actor=user,
                 target=f"plan:{plan.id}")
    notify.plan_decided(plan)
    db.session.commit()
    return True
