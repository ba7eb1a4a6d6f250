"""The account ledger: posting statements, booking payments and refunds, the balance.

Every change writes its ledger entries, its audit line and its rows in one commit. The
balance is the SUM of the patient's entries; a statement's open amount is the SUM of
the entries that point at it. Nothing keeps a running total that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, case, func, select

from portal import audit
from portal.billing.models import LedgerEntry, Payment, Statement, StatementLine
from portal.billing.money import to_cents
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User
from portal.types import utcnow

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineInput:
    """One line of a statement as staff or an import give it."""

    service_date: date
    description: str
    charged: Decimal
    insurance_paid: Decimal = ZERO


class BillingError(ValueError):
    """A change the ledger's rules do not allow (the message is for staff or the patient)."""


def balance(patient_id: int) -> Decimal:
    """What the patient owes now (negative: the clinic owes them), in one query."""
    return as_balance(db.session.scalar(BALANCE, {"patient_id": patient_id}))


def as_balance(total) -> Decimal:
    """The balance from `BALANCE`'s value, in whole cents."""
    return to_cents(total or 0)


#: Built once: the home page (among its panels' figures) and the bills page ask it on every
#: visit.
BALANCE = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
           .where(LedgerEntry.patient_id == bindparam("patient_id")))


def statement_sums():
    """A subquery: per statement, what is still owed and what the patient paid net."""
    paid = case((LedgerEntry.kind.in_(("payment", "refund")), -LedgerEntry.amount), else_=0)
    return (select(LedgerEntry.statement_id.label("statement_id"),
                   func.sum(LedgerEntry.amount).label("owed"),
                   func.sum(paid).label("paid"))
            .where(LedgerEntry.statement_id.is_not(None))
            .group_by(LedgerEntry.statement_id).subquery())


def open_amounts(patient_id: int) -> list[tuple[int, Decimal]]:
    """(statement id, amount still owed) of every statement not paid in full, oldest first."""
    sums = statement_sums()
    rows = db.session.execute(
        select(Statement.id, sums.c.owed).join(sums, sums.c.statement_id == Statement.id)
        .where(Statement.patient_id == patient_id, sums.c.owed > 0)
        .order_by(Statement.due_on, Statement.id))
    return [(statement_id, to_cents(owed)) for statement_id, owed in rows]


def post_statement(patient: Patient, lines: list[LineInput], *, actor: User | None,
                   issued_on: date | None = None, due_on: date | None = None,
                   source: str = "staff", fhir_id: str | None = None,
                   commit: bool = True) -> Statement:
    """Add a statement with its lines and their ledger entries (charge, insurance paid)."""
    if not lines:
        raise BillingError("a statement needs at least one line")
    clinic = current_clinic()
    issued_on = issued_on or date.today()
    statement = Statement(patient_id=patient.id, issued_on=issued_on,
                          due_on=due_on or issued_on + timedelta(days=clinic.payment_days),
                          currency=clinic.currency, source=source, fhir_id=fhir_id,
                          created_by_id=actor.id if actor else None)
    for line in lines:
        charged, insured = to_cents(line.charged), to_cents(line.insurance_paid)
        if charged <= 0 or not ZERO <= insured <= charged:
            raise BillingError("a line charges a positive amount, insurance at most that")
        statement.lines.append(StatementLine(service_date=line.service_date,
                                             description=line.description.strip()[:200],
                                             charged=charged, insurance_paid=insured))
    db.session.add(statement)
    db.session.flush()
    statement.number = f"{issued_on.year}-{statement.id:06d}"
    for line in statement.lines:
        _entry(patient.id, "charge", line.charged, statement, actor, line_id=line.id)
        if line.insurance_paid:
            _entry(patient.id, "insurance", -line.insurance_paid, statement, actor,
                   line_id=line.id)
    audit.record(audit.Action.STATEMENT_POSTED, patient=patient, actor=actor,
                 target=f"statement:{statement.id}")
    if commit:
        db.session.commit()
    return statement


def _entry(patient_id: int, kind: str, amount: Decimal, statement: Statement | None,
           actor: User | None, **values) -> LedgerEntry:
    entry = LedgerEntry(patient_id=patient_id, kind=kind, amount=amount,
                        currency=current_clinic().currency,
                        statement_id=statement.id if statement else values.pop("statement_id",
                                                                                None),
                        created_by_id=actor.id if actor else None, **values)
    db.session.add(entry)
    return entry


def allocate(patient_id: int, amount: Decimal,
             first: int | None = None) -> list[tuple[int | None, Decimal]]:
    """Spread `amount` over open statements: `first` if given, then oldest due first.

    What is left over (someone paid more than they owed) stays on the account as credit,
    with no statement.
    """
    owed = open_amounts(patient_id)
    owed.sort(key=lambda row: row[0] != first)  # stable: the chosen one, then by due date
    parts, left = [], amount
    for statement_id, open_amount in owed:
        if left <= 0:
            break
        part = min(left, open_amount)
        parts.append((statement_id, part))
        left -= part
    if left > 0:
        parts.append((None, left))
    return parts


def book_payment(payment: Payment, actor: User | None = None) -> None:
    """Write the ledger entries of a payment that is now paid (the caller commits)."""
    for statement_id, part in allocate(payment.patient_id, payment.amount, payment.statement_id):
        _entry(payment.patient_id, "payment", -part, None, actor, statement_id=statement_id,
               payment_id=payment.id)


def record_desk_payment(patient: Patient, amount: Decimal, method: str, actor: User, *,
                        statement_id: int | None = None, note: str | None = None) -> Payment:
    """Book money received at the desk or by transfer, with its audit line, in one commit."""
    if amount <= 0:
        raise BillingError("a payment is a positive amount")
    payment = Payment(patient_id=patient.id, amount=to_cents(amount),
                      currency=current_clinic().currency, method=method, status="paid",
                      paid_at=utcnow(), statement_id=statement_id, recorded_by_id=actor.id,
                      note=(note or "").strip()[:200] or None)
    db.session.add(payment)
    db.session.flush()
    book_payment(payment, actor)
    audit.record(audit.Action.PAYMENT_RECORDED,
                 patient=patient, actor=actor, target=f"payment:{payment.id}")
    db.session.commit()
    return payment


def refundable(payment: Payment) -> Decimal:
    """How much of a paid payment can still be given back."""
    if payment.status != "paid":
        return ZERO
    refunded = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                 .where(LedgerEntry.payment_id == payment.id,
                                        LedgerEntry.kind == "refund"))
    return to_cents(payment.amount - to_cents(refunded or 0))


def refund(payment: Payment, amount: Decimal, actor: User) -> None:
    """Give back part or all of a payment: the statements it paid are owed again."""
    amount = to_cents(amount)
    if amount <= 0 or amount > refundable(payment):
        raise BillingError("a refund is positive and at most what is left of the payment")
    # Payment entries are negative and refunds positive: minus their sum is what stays paid.
    rows = db.session.execute(
        select(LedgerEntry.statement_id, func.sum(-LedgerEntry.amount), func.count())
        .where(LedgerEntry.payment_id == payment.id)
        .group_by(LedgerEntry.statement_id)
        .order_by(LedgerEntry.statement_id.desc().nulls_first())).all()
    left = amount
    for statement_id, still_paid, entries in rows:
        part = min(left, to_cents(still_paid))
        if part <= 0:
            continue
        _entry(payment.patient_id, "refund", part, None, actor, statement_id=statement_id,
               payment_id=payment.id, sequence=entries)
        left -= part
        if left == 0:
            break
    audit.record(audit.Action.PAYMENT_REFUNDED, patient=payment.patient_id, actor=actor,
                 target=f"payment:{payment.id}")
    db.session.commit()
