"""Demo data of the billing area, loaded by `flask portal demo` (must be safe to run twice).

Oliver, Sanne and Kasia have visits in their demo records (portal/demo/records.py); their
statements bill those visits. Every demo patient with an account gets insurance cover, and
between them the statements are open, overdue, partly paid and paid.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.billing.ledger import LineInput, post_statement, record_desk_payment
from portal.billing.models import Coverage, Statement
from portal.clinic import current_clinic
from portal.extensions import db
from portal.models import Patient, User

D = Decimal

#: patient number -> statements: (days ago issued, [(service days ago, text, charged,
#: insurance paid)], amount the patient already paid at the desk)
STATEMENTS = {
    "P-100001": [(400, [(410, "General examination", D("85.00"), D("60.00")),
                        (410, "Blood test: lipid panel", D("42.50"), D("30.00"))], D("37.50")),
                 (10, [(12, "Follow-up visit", D("65.00"), D("40.00")),
                       (12, "Electrocardiogram", D("48.30"), D("20.00"))], D("0"))],
    "P-100004": [(45, [(50, "Home visit", D("95.00"), D("70.00"))], D("0"))],
    "P-100006": [(20, [(25, "Algemeen onderzoek", D("85.00"), D("50.00")),
                       (25, "Bloedonderzoek", D("42.50"), D("12.50"))], D("30.00"))],
    "P-100010": [(5, [(7, "Consult", D("45.00"), D("0"))], D("0"))],
    "P-100013": [(15, [(18, "Badanie ogólne", D("85.00"), D("85.00")),
                       (18, "Szczepienie przeciw grypie", D("29.99"), D("0"))], D("0"))],
    "P-100016": [(60, [(62, "Konsultacja", D("45.00"), D("25.00"))], D("20.00"))],
}

#: patient number -> (insurer, member number, relation)
COVERAGE = {
    "P-100001": ("Bupa", "BUP-4471-2209", "self"),
    "P-100004": ("AXA Health", "AXA-9921-0043", "self"),
    "P-100006": ("Zilveren Kruis", "184-552-901", "self"),
    "P-100010": ("CZ", "CZ-7731-554", "spouse"),
    "P-100013": ("NFZ", "83060812345", "self"),
    "P-100016": ("LUX MED", "LM-20391-77", "self"),
}


def load(patients: dict[str, Patient], staff: dict[str, User]) -> None:
    """Add this area's demo data; `patients` by patient number, `staff` by username."""
    clinic = current_clinic()
    if not clinic.bank_iban and clinic.id is not None:
        # The IBAN of the European Commission's published example: never a real account.
        clinic.bank_iban, clinic.bank_holder = "NL91ABNA0417164300", clinic.name
        clinic.payment_plans_offered = True
    clerk = staff.get("billing")
    known = set(db.session.scalars(select(Statement.patient_id)))
    covered = set(db.session.scalars(select(Coverage.patient_id)))
    today = date.today()
    for number, statements in STATEMENTS.items():
        patient = patients.get(number)
        if patient is None:
            continue
        db.session.flush()
        if patient.id not in known:
            for issued, lines, paid in statements:
                statement = post_statement(
                    patient, [LineInput(today - timedelta(days=days), text, charged, insured)
                              for days, text, charged, insured in lines],
                    actor=clerk, issued_on=today - timedelta(days=issued), commit=False)
                if paid and clerk is not None:
                    db.session.flush()
                    record_desk_payment(patient, paid, "card", clerk,
                                        statement_id=statement.id)
        if patient.id not in covered and number in COVERAGE:
            insurer, member, relation = COVERAGE[number]
            db.session.add(Coverage(patient_id=patient.id, insurer=insurer,
                                    member_number=member, holder_name=patient.full_name,
                                    relation=relation, valid_from=date(today.year, 1, 1),
                                    needs_review=number == "P-100006"))
    db.session.commit()
