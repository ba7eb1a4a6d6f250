"""Models of the billing area: statements, the account ledger, payments, insurance cover.

The ledger is the truth about money. Every amount that changes what a patient owes is one
`LedgerEntry` row, signed from the patient's point of view (a charge is positive, what
insurance or the patient paid is negative), so the balance is one SUM in SQL. Statements
and payments describe why the entries exist; they never hold a running total.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import WithStoredFile
from portal.types import UTCDateTime, utcnow

#: Money columns: twelve digits, two after the point (EUR, PLN and USD all use cents).
Money = Numeric(12, 2, asdecimal=True)

#: What a ledger entry records.
ENTRY_KINDS = ("charge", "insurance", "payment", "refund")
#: Ways a payment reaches the clinic.
PAYMENT_METHODS = ("cash", "card", "transfer", "online")
#: Payment attempt states; the last four never change again.
PAYMENT_STATES = ("open", "pending", "paid", "failed", "canceled", "expired")
FINAL_STATES = ("paid", "failed", "canceled", "expired")


class Statement(db.Model):
    """A bill: lines of care with what was charged and what insurance paid."""

    __tablename__ = "billing_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: Printed on the statement and used in the transfer reference.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    #: "staff" or "import" (a FHIR Claim with its ExplanationOfBenefit).
    source: Mapped[str] = mapped_column(String(10), default="staff")
    fhir_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("patient_id", "fhir_id"),
        Index("ix_billing_statements_patient_issued", "patient_id", "issued_on"),
    )


class StatementLine(db.Model):
    """One service on a statement; the patient owes `charged - insurance_paid`."""

    __tablename__ = "billing_statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("billing_statements.id",
                                                         ondelete="CASCADE"))
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    charged: Mapped[Decimal] = mapped_column(Money)
    insurance_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    statement: Mapped[Statement] = relationship(back_populates="lines")

    @property
    def patient_owes(self) -> Decimal:
        return self.charged - self.insurance_paid


class Payment(db.Model):
    """Money from the patient: at the desk, by transfer, or an online attempt."""

    __tablename__ = "billing_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: The statement the patient chose to pay, if any (the rest goes oldest first).
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("billing_statements.id"))
    provider: Mapped[str | None] = mapped_column(String(20))
    #: The provider's id of the attempt ("tr_..."): one attempt, one booking.
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_billing_payments_patient_created", "patient_id", "created_at"),)


class LedgerEntry(db.Model):
    """One line of a patient's account; positive raises what they owe, negative lowers it."""

    __tablename__ = "billing_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("billing_statements.id"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("billing_statement_lines.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("billing_payments.id"))
    #: Tells apart entries of one kind for one payment and statement (refund 1, 2, ...).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    statement: Mapped[Statement | None] = relationship()
    payment: Mapped[Payment | None] = relationship()

    __table_args__ = (
        # A payment is booked against a statement once, whatever calls the booking.
        UniqueConstraint("payment_id", "statement_id", "kind", "sequence"),
        Index("ix_billing_ledger_patient_time", "patient_id", "occurred_at"),
        Index("ix_billing_ledger_statement", "statement_id"),
    )


class PaymentPlan(db.Model):
    """A patient's request to pay a statement in monthly instalments, and staff's answer.

    A declined plan stays for the history and the patient may ask again: a statement has
    any number of declined plans and at most one that is requested or approved.
    """

    __tablename__ = "billing_payment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("billing_statements.id"))
    instalments: Mapped[int] = mapped_column(Integer)
    #: "requested", "approved" or "declined".
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why the plan was declined, in staff's words; the patient reads it. None if approved.
    decision_note: Mapped[str | None] = mapped_column(Text)

    statement: Mapped[Statement] = relationship()
    patient = relationship("Patient")

    __table_args__ = (
        # Two requests at the same instant cannot both stand: the database refuses the
        # second open plan of a statement.
        Index("uq_billing_payment_plans_open", "statement_id", unique=True,
              sqlite_where=text("status != 'declined'"),
              postgresql_where=text("status != 'declined'")),
        Index("ix_billing_payment_plans_statement", "statement_id", "requested_at"),
    )


class Coverage(WithStoredFile, db.Model):
    """One version of a patient's insurance cover; a change adds a version for review.

    `file` is the photo of the card, if any; versions that kept the card share its file.
    """

    __tablename__ = "billing_coverages"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    insurer: Mapped[str] = mapped_column(String(120))
    member_number: Mapped[str] = mapped_column(String(40))
    holder_name: Mapped[str] = mapped_column(String(120))
    #: "self", "spouse", "parent" or "other".
    relation: Mapped[str] = mapped_column(String(10), default="self")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    patient = relationship("Patient")

    __table_args__ = (
        Index("ix_billing_coverages_patient_created", "patient_id", "created_at"),
        Index("ix_billing_coverages_review", "needs_review", "created_at"),
    )
