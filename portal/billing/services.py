"""What the billing pages show, each in a fixed number of queries however long the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.billing.ledger import statement_sums
from portal.billing.models import LedgerEntry, Payment, PaymentPlan, Statement
from portal.billing.money import to_cents
from portal.extensions import db
from portal.models import Patient
from portal.paging import Page, paginate


@dataclass
class StatementView:
    """A statement with its sums from the ledger and the state they give it."""

    statement: Statement
    owed: Decimal
    paid: Decimal

    @property
    def total(self) -> Decimal:
        """What the patient was asked to pay (charged minus insurance)."""
        return self.owed + self.paid

    @property
    def state(self) -> str:
        if self.owed <= 0:
            return "paid"
        if self.statement.due_on < date.today():
            return "overdue"
        return "partly_paid" if self.paid > 0 else "open"


def _view(statement: Statement, owed, paid) -> StatementView:
    return StatementView(statement, to_cents(owed or 0), to_cents(paid or 0))


def statements_page(patient_id: int, page: int, per_page: int | None = None) -> Page:
    """The patient's statements with their sums, unpaid first, then newest first."""
    sums = statement_sums()
    result = paginate(
        select(Statement, sums.c.owed, sums.c.paid)
        .outerjoin(sums, sums.c.statement_id == Statement.id)
        .where(Statement.patient_id == patient_id)
        .order_by((func.coalesce(sums.c.owed, 0) <= 0), Statement.due_on.desc(),
                  Statement.id.desc()), page, per_page)
    result.items = [_view(*row) for row in result.items]
    return result


def find_statement(patient: Patient, statement_id: int) -> StatementView | None:
    """The patient's statement with its lines and sums, or None (another's is None too)."""
    sums = statement_sums()
    row = db.session.execute(
        select(Statement, sums.c.owed, sums.c.paid)
        .outerjoin(sums, sums.c.statement_id == Statement.id)
        .options(selectinload(Statement.lines))
        .where(Statement.patient_id == patient.id, Statement.id == statement_id)).first()
    return _view(*row) if row else None


def statement_payments(statement_id: int, limit: int = 10) -> list[LedgerEntry]:
    """The latest payments and refunds booked on a statement, with their payments."""
    return list(db.session.scalars(
        select(LedgerEntry).options(joinedload(LedgerEntry.payment))
        .where(LedgerEntry.statement_id == statement_id,
               LedgerEntry.kind.in_(("payment", "refund")))
        .order_by(LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc()).limit(limit)))


def plan_for(statement_id: int) -> PaymentPlan | None:
    """The statement's latest payment plan, if any was asked for."""
    return db.session.scalar(select(PaymentPlan).where(PaymentPlan.statement_id == statement_id)
                             .order_by(PaymentPlan.requested_at.desc(), PaymentPlan.id.desc())
                             .limit(1))


def recent_payments(patient_id: int, limit: int = 5) -> list[Payment]:
    """The patient's latest payments that went through."""
    return list(db.session.scalars(
        select(Payment).where(Payment.patient_id == patient_id, Payment.status == "paid")
        .order_by(Payment.paid_at.desc(), Payment.id.desc()).limit(limit)))


def payments_page(patient_id: int, page: int, per_page: int | None = None) -> Page:
    """Every payment and online attempt of the patient, newest first."""
    return paginate(
        select(Payment).where(Payment.patient_id == patient_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc()), page, per_page)


def find_payment(patient: Patient, payment_id: int) -> Payment | None:
    """The patient's payment, or None (another's is None too)."""
    return db.session.scalar(select(Payment).where(Payment.patient_id == patient.id,
                                                   Payment.id == payment_id))


def payment_allocations(payment_id: int) -> list[tuple[str | None, str, Decimal]]:
    """(statement number or None, kind, amount) of what a payment paid and what went back."""
    rows = db.session.execute(
        select(Statement.number, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .select_from(LedgerEntry).outerjoin(Statement, Statement.id == LedgerEntry.statement_id)
        .where(LedgerEntry.payment_id == payment_id)
        .group_by(Statement.number, LedgerEntry.kind).order_by(Statement.number))
    return [(number, kind, to_cents(-amount if kind == "payment" else amount))
            for number, kind, amount in rows]


def ledger_page(patient_id: int, page: int, per_page: int | None = None) -> Page:
    """The patient's ledger entries, newest first, with their statements."""
    return paginate(
        select(LedgerEntry).options(joinedload(LedgerEntry.statement))
        .where(LedgerEntry.patient_id == patient_id)
        .order_by(LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc()), page, per_page)


def balances_page(page: int, per_page: int | None = None) -> Page:
    """Patients with an account in the ledger and their balance, largest balance first."""
    total = func.sum(LedgerEntry.amount).label("balance")
    return paginate(
        select(Patient, total).join(LedgerEntry, LedgerEntry.patient_id == Patient.id)
        .group_by(Patient.id).order_by(total.desc(), Patient.family_name, Patient.id),
        page, per_page)


def has_statements(patient_id: int) -> bool:
    return db.session.scalar(select(func.count(Statement.id))
                             .where(Statement.patient_id == patient_id)) > 0



def patient_by_number(number: str) -> Patient | None:
    """The patient with this patient number, if any."""
    return db.session.scalar(select(Patient).where(Patient.patient_number == number))
