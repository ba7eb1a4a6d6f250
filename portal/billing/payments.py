"""Online payments: starting one with the provider, and learning how it ended.

The webhook and the return page both call `sync_payment`, which asks the provider for
the payment's state. A payment is booked at most once: the status moves from open or
pending to a final state with one conditional UPDATE, and only the request whose UPDATE
changed the row writes the ledger entries (the ledger's unique key backs this up).
Final states never change again, so a late "open" cannot undo a "paid".
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, url_for
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.billing import ledger
from portal.billing.models import FINAL_STATES, Payment
from portal.billing.providers import (
    MOLLIE_LOCALES,
    ProviderError,
    ProviderPayment,
    UnknownPayment,
    get_provider,
)
from portal.clinic import current_clinic
from portal.extensions import db
from portal.i18n import locale_str
from portal.models import Patient, User
from portal.types import utcnow


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def start_online_payment(patient: Patient, user: User, amount: Decimal,
                         statement_id: int | None) -> str:
    """Record the attempt, create it with the provider; return the checkout address.

    Raises ProviderError when the provider cannot be reached: the attempt is then marked
    failed, so nothing is left half-done.
    """
    provider = get_provider()
    payment = Payment(patient_id=patient.id, amount=amount, currency=current_clinic().currency,
                      method="online", status="open", provider=provider.name,
                      statement_id=statement_id, recorded_by_id=None)
    db.session.add(payment)
    db.session.flush()
    audit.record(audit.Action.PAYMENT_STARTED,
                 patient=patient, actor=user, target=f"payment:{payment.id}")
    db.session.commit()
    try:
        created = provider.create(
            amount=amount, currency=payment.currency,
            description=f"{current_clinic().name} {patient.patient_number}"[:100],
            redirect_url=_base_url() + url_for("billing.payment_return", payment_id=payment.id),
            webhook_url=_base_url() + url_for("billing.webhook"),
            locale=MOLLIE_LOCALES.get(locale_str(), "en_US"),
            metadata={"payment": payment.id})
    except ProviderError:
        payment.status = "failed"
        db.session.commit()
        raise
    payment.provider_id = created.provider_id
    db.session.commit()
    if not created.checkout_url:
        raise ProviderError("the provider gave no checkout page")
    return created.checkout_url


def payment_by_provider_id(provider_id: str) -> Payment | None:
    """The attempt the provider calls `provider_id`, if it is one of ours."""
    return db.session.scalar(db.select(Payment).where(Payment.provider_id == provider_id))


def sync_payment(payment: Payment) -> str:
    """Ask the provider for the payment's state and apply it once; return the state.

    Raises ProviderError when the provider cannot be asked (the caller answers so that the
    provider or the patient tries again later).
    """
    if payment.status in FINAL_STATES or not payment.provider_id:
        return payment.status
    try:
        found = get_provider().fetch(payment.provider_id)
    except UnknownPayment:
        return payment.status
    return apply_state(payment, found)


def apply_state(payment: Payment, found: ProviderPayment) -> str:
    """Move the payment to the provider's state if it is still open; book it when paid."""
    status = found.status if found.status in ("open", "pending", *FINAL_STATES) else "open"
    if status == "paid" and (found.amount != payment.amount
                             or found.currency != payment.currency):
        current_app.logger.error("payment %s: the provider's amount differs; not booked",
                                 payment.id)
        return payment.status
    if status == payment.status:
        return status
    changed = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status.not_in(FINAL_STATES))
        .values(status=status, paid_at=utcnow() if status == "paid" else None)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:  # another request got there first
        db.session.rollback()
        db.session.refresh(payment)
        return payment.status
    if status == "paid":
        ledger.book_payment(payment)
    audit.record(audit.Action(f"payment-{status}"), patient=payment.patient_id, actor=None,
                 target=f"payment:{payment.id}")
    try:
        db.session.commit()
    except IntegrityError:  # booked meanwhile by a concurrent request: keep that one
        db.session.rollback()
    db.session.refresh(payment)
    return payment.status
