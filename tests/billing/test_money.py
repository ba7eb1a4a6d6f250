"""Amounts as people type them, rounding, transfer references and money in each language."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.billing.money import (
    creditor_reference,
    grouped,
    parse_amount,
    reference_is_valid,
    split_instalments,
    to_cents,
)
from portal.i18n import fmt_money


@pytest.mark.parametrize("typed, amount", [
    ("12,50", Decimal("12.50")), ("12.50", Decimal("12.50")), ("12", Decimal("12.00")),
    (" 7,5 ", Decimal("7.50")), ("€ 3,20", Decimal("3.20")), ("0.01", Decimal("0.01")),
    ("12.345", None), ("1.250,00", None), ("-5", None), ("ten", None), ("", None),
    ("1e3", None), ("12,", None),
])
def test_amounts_are_read_exactly_or_refused(typed, amount):
    assert parse_amount(typed) == amount


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        to_cents(0.1)


@pytest.mark.parametrize("value, cents", [("2.675", "2.68"), ("2.665", "2.67"),
                                          ("0.005", "0.01"), ("129.1649", "129.16")])
def test_rounding_is_half_up_to_cents(value, cents):
    assert to_cents(value) == Decimal(cents)


def test_instalments_add_up_to_the_total_in_whole_cents():
    assert split_instalments(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"),
                                                       Decimal("33.34")]
    assert sum(split_instalments(Decimal("0.05"), 4)) == Decimal("0.05")


def test_creditor_reference_check_digits():
    # The example of ISO 11649 itself.
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert reference_is_valid("RF18 5390 0754 7034")
    assert creditor_reference("P-100001") == "RF80P100001"
    assert reference_is_valid(creditor_reference("2026-000123"))
    assert not reference_is_valid("RF19539007547034")  # one check digit off
    assert not reference_is_valid("RF18539007547035")  # one reference digit off
    assert grouped("RF18539007547034") == "RF18 5390 0754 7034"


NBSP = "\u00a0"


@pytest.mark.parametrize("lang, currency, text", [
    ("en", "EUR", "€1,234.50"),
    ("nl", "EUR", f"€{NBSP}1.234,50"),
    ("pl", "EUR", f"1{NBSP}234,50{NBSP}€"),
    ("en", "PLN", "PLN1,234.50"),
    ("nl", "PLN", f"PLN{NBSP}1.234,50"),
    ("pl", "PLN", f"1{NBSP}234,50{NBSP}zł"),
    ("en", "USD", "US$1,234.50"),
    ("nl", "USD", f"US${NBSP}1.234,50"),
    ("pl", "USD", f"1{NBSP}234,50{NBSP}USD"),
])
def test_money_in_each_language(app, clinic, lang, currency, text):
    with app.test_request_context(), force_locale(lang):
        assert fmt_money(Decimal("1234.50"), currency) == text


def test_money_uses_the_clinics_currency(app, clinic):
    clinic.currency = "PLN"
    with app.test_request_context(), force_locale("pl"):
        assert fmt_money(Decimal("0.5")) == f"0,50{NBSP}zł"
