"""Every billing page answers for the people who may see it."""

from decimal import Decimal

from portal.billing.ledger import record_desk_payment
from tests.billing.conftest import statement_for


def test_patient_pages_render(patient_client, patient_user, clerk):
    statement = statement_for(patient_user.patient, "85.00", "12.50")
    payment = record_desk_payment(patient_user.patient, Decimal("20.00"), "cash", clerk)
    for url in ("/billing", f"/billing/statements/{statement.id}", "/billing/payments",
                f"/billing/payments/{payment.id}", "/billing/pay", "/billing/insurance",
                f"/billing/payments/{payment.id}/return", "/home"):
        response = patient_client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:3000])


def test_staff_pages_render(clerk_client, patient_user, clerk):
    statement_for(patient_user.patient, "85.00")
    payment = record_desk_payment(patient_user.patient, Decimal("20.00"), "cash", clerk)
    pid = patient_user.patient.id
    for url in ("/staff/billing", f"/staff/billing/patients/{pid}",
                f"/staff/billing/patients/{pid}/statements/new",
                f"/staff/billing/patients/{pid}/payments/new",
                f"/staff/billing/payments/{payment.id}/refund", "/staff/billing/insurance",
                "/staff/billing/plans"):
        response = clerk_client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:3000])
