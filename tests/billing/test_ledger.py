"""The ledger: statements, payments and refunds always add up to the balance shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.billing import ledger
from portal.billing.ledger import BillingError, LineInput, balance, record_desk_payment, refund
from portal.billing.models import LedgerEntry, Statement
from portal.billing.services import find_statement, statements_page
from portal.extensions import db as _db
from portal.models import AuditEvent
from tests.billing.conftest import statement_for
from tests.conftest import make_patient

cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
line = st.tuples(cents, st.integers(min_value=0, max_value=100))  # charged, % insured
operation = st.one_of(
    st.tuples(st.just("statement"), st.lists(line, min_size=1, max_size=4)),
    st.tuples(st.just("payment"), cents, st.booleans()),
    st.tuples(st.just("refund"), st.integers(min_value=0, max_value=20), cents),
)


def _check_books(patient_id: int, expected: Decimal) -> None:
    """The balance, the entries, the statements and their lines all tell the same story."""
    _db.session.expire_all()
    shown = balance(patient_id)
    entries = list(_db.session.scalars(select(LedgerEntry)
                                       .where(LedgerEntry.patient_id == patient_id)))
    assert shown == expected == sum((e.amount for e in entries), Decimal("0.00"))
    page = statements_page(patient_id, 1, per_page=1000)
    unallocated = sum((e.amount for e in entries if e.statement_id is None), Decimal("0"))
    assert sum((v.owed for v in page.items), Decimal("0")) + unallocated == shown
    for view in page.items:
        lines = sum((li.patient_owes for li in view.statement.lines), Decimal("0"))
        assert view.total == lines  # what was asked = charged minus insurance
        assert Decimal("0") <= view.owed <= lines  # never owed more, never overpaid
        assert view.owed == lines - view.paid


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_ledger_lines_always_add_up_to_the_balance(app, billing_clinic, clerk, operations):
    patient = make_patient()
    expected, payments = Decimal("0.00"), []
    for op in operations:
        if op[0] == "statement":
            lines = [LineInput(date(2026, 1, 1), "Care", amount,
                               (amount * pct / 100).quantize(Decimal("0.01")))
                     for amount, pct in op[1]]
            ledger.post_statement(patient, lines, actor=clerk)
            expected += sum(li.charged - li.insurance_paid for li in lines)
        elif op[0] == "payment":
            _, amount, choose = op
            first = ledger.open_amounts(patient.id)
            chosen = first[-1][0] if choose and first else None
            payments.append(record_desk_payment(patient, amount, "cash", clerk,
                                                statement_id=chosen))
            expected -= amount
        elif payments:
            _, index, amount = op
            payment = payments[index % len(payments)]
            if amount <= ledger.refundable(payment):
                refund(payment, amount, clerk)
                expected += amount
            else:
                with pytest.raises(BillingError):
                    refund(payment, amount, clerk)
                _db.session.rollback()
        _check_books(patient.id, expected)


def test_payment_pays_the_oldest_statement_first_or_the_one_chosen(patient_user, clerk):
    patient = patient_user.patient
    old = statement_for(patient, "30.00", days_ago=40)
    new = statement_for(patient, "50.00")
    record_desk_payment(patient, Decimal("40.00"), "cash", clerk)
    assert find_statement(patient, old.id).owed == Decimal("0.00")
    assert find_statement(patient, new.id).owed == Decimal("40.00")
    record_desk_payment(patient, Decimal("5.00"), "card", clerk, statement_id=new.id)
    assert find_statement(patient, new.id).owed == Decimal("35.00")
    assert balance(patient.id) == Decimal("35.00")


def test_overpayment_stays_as_credit(patient_user, clerk):
    patient = patient_user.patient
    statement_for(patient, "10.00")
    record_desk_payment(patient, Decimal("15.00"), "cash", clerk)
    assert balance(patient.id) == Decimal("-5.00")
    credit = _db.session.scalar(select(LedgerEntry).where(LedgerEntry.statement_id.is_(None)))
    assert credit.amount == Decimal("-5.00")


def test_refund_reopens_the_statement_and_never_exceeds_the_payment(patient_user, clerk):
    patient = patient_user.patient
    statement = statement_for(patient, "80.00")
    payment = record_desk_payment(patient, Decimal("80.00"), "cash", clerk)
    refund(payment, Decimal("30.00"), clerk)
    assert find_statement(patient, statement.id).owed == Decimal("30.00")
    with pytest.raises(BillingError):
        refund(payment, Decimal("50.01"), clerk)
    _db.session.rollback()
    refund(payment, Decimal("50.00"), clerk)
    assert ledger.refundable(payment) == Decimal("0.00")
    assert balance(patient.id) == Decimal("80.00")
    actions = list(_db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("payment-refunded") == 2 and "payment-recorded" in actions


def test_statement_posting_writes_charge_and_insurance_lines(patient_user, clerk):
    patient = patient_user.patient
    statement = statement_for(patient, "85.00", "42.50", insured=Decimal("30.00"), actor=clerk)
    kinds = _db.session.execute(select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
                                .where(LedgerEntry.statement_id == statement.id)
                                .group_by(LedgerEntry.kind)).all()
    assert dict(kinds) == {"charge": Decimal("127.50"), "insurance": Decimal("-60.00")}
    assert statement.number == f"{date.today().year}-{statement.id:06d}"
    assert _db.session.scalar(select(Statement.due_on)) == date.fromordinal(
        date.today().toordinal() + 30)
