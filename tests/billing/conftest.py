"""Billing fixtures: a clinic with a bank account, a patient with an account, billing staff."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.billing.ledger import LineInput, post_statement
from portal.extensions import db as _db
from tests.conftest import login_as, make_user


@pytest.fixture
def billing_clinic(clinic):
    clinic.bank_iban, clinic.bank_holder = "NL91ABNA0417164300", "Test Clinic"
    clinic.payment_plans_offered = True
    _db.session.commit()
    return clinic


@pytest.fixture
def patient_user(billing_clinic):
    return make_user(locale="en")


@pytest.fixture
def clerk(billing_clinic):
    return make_user(role="billing")


@pytest.fixture
def patient_client(client, patient_user):
    login_as(client, patient_user)
    return client


@pytest.fixture
def clerk_client(client, clerk):
    login_as(client, clerk)
    return client


def statement_for(patient, *amounts, insured=Decimal("0"), days_ago: int = 0, actor=None):
    """Post a statement with one line per amount (strings or Decimals)."""
    issued = date.today() - timedelta(days=days_ago)
    return post_statement(patient, [LineInput(issued, f"Service {i}", Decimal(str(a)), insured)
                                    for i, a in enumerate(amounts)], actor=actor,
                          issued_on=issued)
