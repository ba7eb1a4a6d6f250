"""In development, online payment can be walked end to end with the portal's own stand-in
for the payment provider; in any other environment the stand-in does not exist."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.billing.models import LedgerEntry, Payment
from portal.extensions import db as _db
from tests.billing.conftest import statement_for
from tests.conftest import post_form


@pytest.fixture
def standin_settings(app):
    saved = {key: app.config.get(key) for key in ("ENV_NAME", "PAYMENT_PROVIDER")}
    yield app.config
    app.config.update(saved)


def _pay(client, amount: str):
    return post_form(client, "/billing/pay", {"amount": amount})


@pytest.mark.parametrize("outcome, shown", [("paid", "Thank you"),
                                            ("canceled", None), ("failed", None)])
def test_development_walks_online_payment_end_to_end(standin_settings, patient_client,
                                                      patient_user, outcome, shown):
    standin_settings.update(ENV_NAME="development", PAYMENT_PROVIDER="standin")
    statement_for(patient_user.patient, "60.00")
    started = _pay(patient_client, "12,50")
    assert started.status_code == 303
    checkout = started.headers["Location"]
    assert checkout.startswith("/dev/checkout/tr_dev")
    page = patient_client.get(checkout).get_data(as_text=True)
    assert "Test checkout" in page and "€12.50" in page and "No money moves" in page
    back = post_form(patient_client, checkout, {"outcome": outcome}, page=checkout)
    assert back.status_code == 303
    payment = _db.session.scalar(select(Payment).order_by(Payment.id.desc()).limit(1))
    _db.session.refresh(payment)
    assert payment.status == outcome
    booked = _db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.payment_id == payment.id)).all()
    assert bool(booked) == (outcome == "paid")
    returned = patient_client.get(urlsplit(back.headers["Location"]).path)
    assert returned.status_code == 200
    if shown:
        assert shown in returned.get_data(as_text=True)
    assert patient_client.get(checkout).status_code == 404  # finished: no second go


def test_the_stand_in_is_never_used_outside_development(standin_settings, patient_client,
                                                         patient_user):
    standin_settings.update(ENV_NAME="production", PAYMENT_PROVIDER="standin")
    statement_for(patient_user.patient, "60.00")
    response = _pay(patient_client, "12,50")
    assert response.status_code == 422
    assert "Online payment is not available" in response.get_data(as_text=True)
    assert patient_client.get("/dev/checkout/tr_dev0000").status_code == 404
