"""Statements from imported records: a FHIR Claim is a statement, its ExplanationOfBenefit
says what insurance paid.

Called by the FHIR importer inside its transaction, in a fixed number of statements: none
when the bundle holds no claim in the clinic's currency, else one query for the claims
already imported and three batched inserts (statements, lines, ledger entries). A claim
in another currency is left out rather than converted: a bill must show what was charged.
A claim imported once is never rewritten by a later bundle; the ledger only grows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from portal.billing.ledger import ZERO
from portal.billing.models import LedgerEntry, Statement, StatementLine
from portal.billing.money import to_cents
from portal.extensions import db
from portal.types import utcnow


@dataclass
class ClaimStatement:
    """What one claim becomes: its lines (description, service date, charged) and what
    insurance paid."""

    fhir_id: str
    issued_on: date
    lines: list[tuple[str, date, Decimal]] = field(default_factory=list)
    insurance_paid: Decimal = ZERO


def _day(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return fallback


def _money(amount: dict | None, currency: str) -> Decimal | None:
    """A FHIR Money in `currency` as exact cents; None when missing or in another currency."""
    if not amount or amount.get("value") is None or amount.get("currency", currency) != currency:
        return None
    return to_cents(str(amount["value"]))  # str: the JSON number's digits, never a float's


def _text(item: dict) -> str:
    concept = item.get("productOrService") or {}
    codings = concept.get("coding") or [{}]
    return (concept.get("text") or codings[0].get("display") or "Care")[:200]


def claim_statements(bundle, currency: str) -> list[ClaimStatement]:
    """The bundle's claims in `currency`, with what their explanations say insurance paid."""
    paid: dict[str, Decimal] = {}
    for _, resource in bundle.entries:
        if resource["resourceType"] == "ExplanationOfBenefit":
            claim_id = bundle.resolve_id(resource.get("claim"))
            amount = _money((resource.get("payment") or {}).get("amount"), currency)
            if claim_id and amount is not None:
                paid[claim_id] = amount
    found = []
    for fhir_id, claim in bundle.entries:
        if claim["resourceType"] != "Claim" or claim.get("use", "claim") != "claim":
            continue
        total = _money(claim.get("total"), currency)
        if total is None or total <= 0:
            continue
        issued = _day(claim.get("created"), date.today())
        served = _day((claim.get("billablePeriod") or {}).get("start"), issued)
        items = claim.get("item") or []
        priced = [(_text(i), served, _money(i.get("net"), currency)) for i in items]
        lines = [line for line in priced if line[2] and line[2] > 0]
        if not lines or len(lines) != len(items) or sum(line[2] for line in lines) != total:
            lines = [(_text(items[0]) if items else "Care", served, total)]
        found.append(ClaimStatement(fhir_id, issued, lines, min(paid.get(fhir_id, ZERO), total)))
    return found


def store_claims(bundle, patient_id: int, currency: str, payment_days: int) -> int:
    """Add statements for the bundle's new claims; return how many were added."""
    claims = claim_statements(bundle, currency)
    if not claims:
        return 0
    known = set(db.session.scalars(select(Statement.fhir_id).where(
        Statement.patient_id == patient_id, Statement.fhir_id.is_not(None))))
    claims = [c for c in claims if c.fhir_id not in known]
    if not claims:
        return 0
    now = utcnow()
    # Rows come back matched by fhir id: their order is not promised by every database.
    ids = dict(db.session.execute(
        insert(Statement).returning(Statement.fhir_id, Statement.id),
        [{"patient_id": patient_id, "fhir_id": c.fhir_id, "source": "import",
          "number": "C" + hashlib.sha256(f"{patient_id}:{c.fhir_id}".encode()).hexdigest()[:12]
          .upper(), "issued_on": c.issued_on, "currency": currency, "created_at": now,
          "due_on": c.issued_on + timedelta(days=payment_days)} for c in claims]).all())
    lines, entries = [], []
    for claim in claims:
        statement_id = ids[claim.fhir_id]
        left = claim.insurance_paid
        for text, served, charged in claim.lines:
            insured, left = min(left, charged), left - min(left, charged)
            lines.append({"statement_id": statement_id, "description": text,
                          "service_date": served, "charged": charged,
                          "insurance_paid": insured})
        base = {"patient_id": patient_id, "statement_id": statement_id, "currency": currency,
                "occurred_at": now, "payment_id": None, "line_id": None, "sequence": 0,
                "created_by_id": None}
        entries.append({**base, "kind": "charge",
                        "amount": sum(charged for _, _, charged in claim.lines)})
        if claim.insurance_paid:
            entries.append({**base, "kind": "insurance", "amount": -claim.insurance_paid})
    db.session.execute(insert(StatementLine), lines)
    db.session.execute(insert(LedgerEntry), entries)
    return len(claims)
