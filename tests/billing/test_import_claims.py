"""Claims and explanations of benefit in imported bundles become statements, once."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal.billing.ledger import balance
from portal.billing.models import LedgerEntry, Statement, StatementLine
from portal.extensions import db as _db
from portal.fhir.importer import import_file
from portal.models import AuditEvent, Patient
from tests.conftest import count_queries
from tests.records.fhir_bundles import make_bundle, ref, small_resources, write_bundle


def _claims(currency: str = "EUR") -> list[dict]:
    return [
        {"resourceType": "Claim", "id": "claim-1", "status": "active", "use": "claim",
         "type": {"coding": [{"code": "professional"}]}, "patient": ref("pat-1"),
         "created": "2024-03-01T10:00:00+01:00", "priority": {"coding": [{"code": "normal"}]},
         "provider": ref("dr-1"), "billablePeriod": {"start": "2024-03-01T09:00:00+01:00"},
         "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "NFZ"}}],
         "item": [{"sequence": 1, "productOrService": {"text": "Check-up"},
                   "net": {"value": 85.0, "currency": currency}},
                  {"sequence": 2, "productOrService": {"text": "Glucose test"},
                   "net": {"value": 44.165, "currency": currency}}],
         "total": {"value": 129.165, "currency": currency}},
        {"resourceType": "ExplanationOfBenefit", "id": "eob-1", "status": "active",
         "use": "claim", "type": {"coding": [{"code": "professional"}]},
         "patient": ref("pat-1"), "created": "2024-03-02T10:00:00+01:00",
         "insurer": {"display": "NFZ"}, "provider": ref("dr-1"), "claim": ref("claim-1"),
         "outcome": "complete", "insurance": [{"focal": True, "coverage": {"display": "NFZ"}}],
         "payment": {"amount": {"value": 100, "currency": currency}}},
    ]


def test_a_claim_becomes_a_statement_with_what_insurance_paid(clinic, tmp_path):
    path = write_bundle(tmp_path, "claims.json", make_bundle(small_resources() + _claims()))
    result = import_file(path)
    assert result.error is None, result.error
    assert result.counts["statement"]["new"] == 1
    statement = _db.session.scalar(select(Statement))
    assert (statement.source, statement.fhir_id, statement.currency) == ("import", "claim-1",
                                                                         "EUR")
    assert [(li.description, li.charged, li.insurance_paid) for li in statement.lines] == [
        ("Check-up", Decimal("85.00"), Decimal("85.00")),
        # 44.165 is rounded half up to 44.17; the total 129.165 to 129.17: the lines add up.
        ("Glucose test", Decimal("44.17"), Decimal("15.00"))]
    patient = _db.session.scalar(select(Patient))
    assert balance(patient.id) == Decimal("29.17")
    assert _db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "record-imported")).endswith("statements:1")


def test_reimporting_the_bundle_adds_no_statement_and_writes_nothing(clinic, tmp_path):
    path = write_bundle(tmp_path, "claims.json", make_bundle(small_resources() + _claims()))
    import_file(path)
    _db.session.expire_all()
    with count_queries() as statements:
        result = import_file(path)
    assert "statement" not in result.counts
    assert statements() == 4  # patient, items, clinic, the claims already imported
    assert _db.session.scalar(select(func.count(Statement.id))) == 1
    assert _db.session.scalar(select(func.count(LedgerEntry.id))) == 2


def test_claims_cost_a_fixed_number_of_statements(clinic, tmp_path):
    few = small_resources() + _claims()
    many = small_resources() + _claims()
    for n in range(2, 30):
        for resource in _claims():
            copy = {**resource, "id": f"{resource['id']}-{n}"}
            if resource["resourceType"] == "ExplanationOfBenefit":
                copy["claim"] = ref(f"claim-1-{n}")
            many.append(copy)
    import_file(write_bundle(tmp_path, "record.json", make_bundle(small_resources())))
    counts = []
    for name, resources in (("few.json", few), ("many.json", many)):
        for model in (LedgerEntry, StatementLine, Statement):  # import the claims anew
            _db.session.execute(model.__table__.delete())
        _db.session.commit()
        path = write_bundle(tmp_path, name, make_bundle(resources))
        with count_queries() as statements:
            assert import_file(path).error is None
        counts.append(statements())
    # The records: three; the claims: one query and three inserts; one audit line.
    assert counts[0] == counts[1] == 3 + 4 + 1


def test_claims_in_another_currency_are_left_out(clinic, tmp_path):
    path = write_bundle(tmp_path, "usd.json", make_bundle(small_resources() + _claims("USD")))
    result = import_file(path)
    assert result.error is None and "statement" not in result.counts
    assert _db.session.scalar(select(func.count(Statement.id))) == 0
