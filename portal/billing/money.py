"""Amounts of money: reading what a person typed, rounding, and transfer references.

Rounding rule: ROUND_HALF_UP to whole cents. Amounts typed into the portal have at most
two decimals and are never rounded; rounding happens only where a number comes from
elsewhere (an imported claim's decimal value) or is divided (instalments). Half-up is
what patients, clinics and bank statements in the EU and the US expect on a bill;
banker's rounding (half-even) only pays off when summing many rounded values, and the
ledger never sums rounded values, it sums exact cents.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol

CENT = Decimal("0.01")
#: Digits, at most one decimal separator (point or comma), at most two decimals.
_AMOUNT = re.compile(r"^\d{1,10}(?:[.,]\d{1,2})?$")


def to_cents(value) -> Decimal:
    """`value` (a Decimal, int or decimal string; never a float) rounded to whole cents."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str | None) -> Decimal | None:
    """The amount a person typed ("12,50", "12.50", "12"), or None when it is not one.

    Thousands separators are refused rather than guessed: "1.250" means 1250 in Dutch and
    1.25 in English, and a payment must never depend on that guess.
    """
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    for symbol in ("€", "zł", "$", "EUR", "PLN", "USD"):
        cleaned = cleaned.replace(symbol, "")
    if not _AMOUNT.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", ".")).quantize(CENT)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        return None


def as_typed(amount: Decimal) -> str:
    """`amount` the way the reader would type it, to fill in a form: their decimal sign
    ("15,00" in Dutch and Polish, "15.00" in English), no thousands separators and no
    currency, so that `parse_amount` reads it back as the same amount."""
    from portal.i18n import format_locale

    sign = get_decimal_symbol(format_locale())
    return f"{to_cents(amount):.2f}".replace(".", sign if sign in ".," else ".")


def split_instalments(total: Decimal, count: int) -> list[Decimal]:
    """`total` in `count` instalments of whole cents; the last takes what rounding left."""
    if count < 1:
        raise ValueError("at least one instalment")
    each = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (count - 1) + [total - each * (count - 1)]


def _digits(text: str) -> str:
    """ISO 7064 mod 97-10 input: letters become 10..35, digits stay."""
    return "".join(str(int(char, 36)) for char in text)


def creditor_reference(base: str) -> str:
    """An ISO 11649 structured creditor reference ("RF" + 2 check digits + `base`).

    `base` is reduced to its letters and digits (at most 21); banks check the digits, so a
    mistyped reference is caught before the money goes astray.
    """
    body = re.sub(r"[^0-9A-Za-z]", "", base).upper()[:21]
    if not body:
        raise ValueError("a reference needs letters or digits")
    check = 98 - int(_digits(body + "RF00")) % 97
    return f"RF{check:02d}{body}"


def reference_is_valid(reference: str) -> bool:
    """Whether an RF reference's check digits are right."""
    text = re.sub(r"\s", "", reference).upper()
    if not re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", text):
        return False
    return int(_digits(text[4:] + text[:4])) % 97 == 1


def grouped(reference: str) -> str:
    """A reference in groups of four, as printed on bills and typed into banking apps."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))


def iban_is_valid(iban: str) -> bool:
    """Whether an IBAN's check digits are right (ISO 13616, mod 97)."""
    text = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]{10,30}", text):
        return False
    return int(_digits(text[4:] + text[:4])) % 97 == 1
