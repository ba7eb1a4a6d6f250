"""Online payment through the Mollie SDK against a local stand-in of Mollie's API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.billing.ledger import balance
from portal.billing.models import LedgerEntry, Payment
from portal.extensions import db as _db
from portal.models import AuditEvent
from tests.billing.conftest import statement_for
from tests.billing.mollie_standin import MollieStandIn
from tests.conftest import post_form


@pytest.fixture
def mollie(app):
    """The portal configured for Mollie, with the SDK pointed at the stand-in."""
    saved = {key: app.config.get(key) for key in ("PAYMENT_PROVIDER", "MOLLIE_API_KEY",
                                                  "MOLLIE_API_ENDPOINT")}
    with MollieStandIn() as stand_in:
        app.config.update(PAYMENT_PROVIDER="mollie", MOLLIE_API_ENDPOINT=stand_in.url,
                          MOLLIE_API_KEY="test_standinkeyforthetestsonly0000")
        yield stand_in
    app.config.update(saved)


@pytest.fixture
def owing(patient_user):
    """The patient owes 60.00 on one statement."""
    return statement_for(patient_user.patient, "60.00")


def _start(client, amount: str = "12,50", **extra):
    return post_form(client, "/billing/pay", {"amount": amount, **extra})


def _payments() -> list[Payment]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(Payment).order_by(Payment.id)))


def _booked(payment_id: int) -> list[LedgerEntry]:
    return list(_db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.payment_id == payment_id)))


def _webhook(client, payment_id: str):
    """What Mollie does: a form POST with only the id, no CSRF token, no cookie."""
    client.delete_cookie("session")
    return client.post("/billing/webhook", data={"id": payment_id})


def test_pay_redirects_to_the_checkout_with_the_amount_and_return_addresses(
        app, mollie, patient_client, patient_user, owing):
    page = patient_client.get("/billing").get_data(as_text=True)
    assert "Pay €60.00" in page
    response = _start(patient_client, "12,50")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://checkout.standin.example/tr_standin1"
    method, path, body, headers = mollie.requests[-1]
    assert (method, path) == ("POST", "/v2/payments")
    assert body["amount"] == {"currency": "EUR", "value": "12.50"}
    payment = _payments()[-1]
    base = app.config["BASE_URL"]
    assert body["redirectUrl"] == f"{base}/billing/payments/{payment.id}/return"
    assert body["webhookUrl"] == f"{base}/billing/webhook"
    assert headers["Authorization"] == "Bearer test_standinkeyforthetestsonly0000"
    assert (payment.status, payment.provider_id, payment.amount) == (
        "open", "tr_standin1", Decimal("12.50"))
    assert _booked(payment.id) == []


@pytest.mark.parametrize("typed, message", [
    ("60.01", "Enter at most €60.00, the amount you owe."),
    ("0", "Enter an amount greater than zero."),
    ("12.345", "Enter an amount in numbers with at most two decimals"),
    ("ten", "Enter an amount in numbers with at most two decimals"),
])
def test_an_amount_outside_what_is_owed_is_refused(mollie, patient_client, owing, typed,
                                                    message):
    response = _start(patient_client, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and f'value="{typed}"' in page
    assert _payments() == [] and mollie.requests == []


def test_paid_is_booked_once_however_often_the_webhook_comes(mollie, patient_client,
                                                             patient_user, owing):
    _start(patient_client, "60.00")
    payment = _payments()[-1]
    mollie.set_status("tr_standin1", "paid")
    for _ in range(3):
        assert _webhook(patient_client, "tr_standin1").status_code == 200
    _db.session.expire_all()
    assert _payments()[-1].status == "paid"
    entries = _booked(payment.id)
    assert [(e.kind, e.amount, e.statement_id) for e in entries] == [
        ("payment", Decimal("-60.00"), owing.id)]
    assert balance(patient_user.patient.id) == Decimal("0.00")
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "payment-paid")) == 1


def test_a_stale_open_after_paid_never_undoes_the_payment(mollie, patient_client,
                                                          patient_user, owing):
    _start(patient_client, "20.00")
    payment = _payments()[-1]
    mollie.set_status("tr_standin1", "paid")  # "paid" arrives first ...
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    mollie.set_status("tr_standin1", "open")  # ... then an older "open" is read
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    mollie.set_status("tr_standin1", "failed")
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    assert _payments()[-1].status == "paid"
    assert len(_booked(payment.id)) == 1
    assert balance(patient_user.patient.id) == Decimal("40.00")


@pytest.mark.parametrize("status, words", [("failed", "Failed"), ("canceled", "Cancelled"),
                                           ("expired", "Expired")])
def test_failed_cancelled_and_expired_book_nothing(mollie, patient_client, patient_user,
                                                    owing, status, words):
    _start(patient_client, "60.00")
    payment = _payments()[-1]
    mollie.set_status("tr_standin1", status)
    page = patient_client.get(f"/billing/payments/{payment.id}/return").get_data(as_text=True)
    assert f"The payment did not go through ({words}). Nothing was charged." in page
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    mollie.set_status("tr_standin1", "paid")  # a final state never changes afterwards
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    assert _payments()[-1].status == status
    assert _booked(payment.id) == []
    assert balance(patient_user.patient.id) == Decimal("60.00")


def test_the_return_page_believes_the_provider_not_the_address(mollie, patient_client,
                                                               patient_user, owing):
    _start(patient_client, "60.00")
    payment = _payments()[-1]
    url = f"/billing/payments/{payment.id}/return?status=paid&id=tr_standin1"
    page = patient_client.get(url).get_data(as_text=True)
    assert "We are waiting for the bank to confirm your payment of €60.00" in page
    assert _booked(payment.id) == []
    mollie.set_status("tr_standin1", "paid")
    page = patient_client.get(url).get_data(as_text=True)
    assert "Thank you. Your payment of €60.00 is received." in page
    assert len(_booked(payment.id)) == 1
    # The webhook that arrives after the return page books nothing more.
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    assert len(_booked(payment.id)) == 1


@pytest.mark.parametrize("given", ["tr_unknown", "not-a-mollie-id"])
def test_unknown_ids_get_200_and_book_nothing(mollie, client, patient_user, owing, given):
    response = client.post("/billing/webhook", data={"id": given})
    assert (response.status_code, response.get_data()) == (200, b"")
    assert _db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == "payment")) == 0


def test_a_post_without_an_id_is_refused(mollie, client):
    assert client.post("/billing/webhook", data={"title": "x"}).status_code == 400


def test_a_forged_paid_for_an_open_payment_books_nothing(mollie, patient_client, owing):
    _start(patient_client, "60.00")
    # Whatever the caller claims, the portal asks the stand-in, which still says "open".
    response = patient_client.post("/billing/webhook", data={"id": "tr_standin1",
                                                             "status": "paid"})
    assert response.status_code == 200
    assert _payments()[-1].status == "open"


def test_a_different_amount_from_the_provider_is_not_booked(mollie, patient_client, owing):
    _start(patient_client, "60.00")
    mollie.payments["tr_standin1"].update(status="paid",
                                          amount={"currency": "EUR", "value": "6.00"})
    _webhook(patient_client, "tr_standin1")
    payment = _payments()[-1]
    assert payment.status == "open" and _booked(payment.id) == []


def test_provider_down_leaves_nothing_half_done(mollie, patient_client, patient_user, owing):
    mollie.down = True
    response = _start(patient_client, "60.00")
    assert response.status_code == 503
    assert "The payment service cannot be reached just now. Nothing was charged." in \
        response.get_data(as_text=True)
    assert [p.status for p in _payments()] == ["failed"]
    mollie.down = False
    _start(patient_client, "60.00")
    mollie.down = True
    assert _webhook(patient_client, "tr_standin1").status_code == 503  # Mollie tries again
    mollie.down = False
    mollie.set_status("tr_standin1", "paid")
    assert _webhook(patient_client, "tr_standin1").status_code == 200
    assert balance(patient_user.patient.id) == Decimal("0.00")


def test_bank_transfer_only_shows_the_reference_and_no_online_button(patient_client, owing):
    page = patient_client.get(f"/billing/statements/{owing.id}").get_data(as_text=True)
    assert "NL91 ABNA 0417 1643 00" in page
    assert "RF" in page and "Continue to payment" not in page
    assert "Pay €60.00" not in page
    response = _start(patient_client, "60.00")
    assert response.status_code == 422
    assert "Online payment is not available" in response.get_data(as_text=True)
