"""The billing pages as patients and staff use them: what they see, what is stored."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.billing.ledger import balance, record_desk_payment
from portal.billing.models import Coverage, Payment, PaymentPlan, Statement
from portal.extensions import db as _db
from portal.models import AuditEvent
from tests.billing.conftest import statement_for
from tests.conftest import login_as, make_user, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _last_audit() -> AuditEvent:
    return _db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def test_overview_shows_balance_statements_and_payments(patient_client, patient_user, clerk):
    patient = patient_user.patient
    paid = statement_for(patient, "40.00", days_ago=60)
    statement_for(patient, "85.00", "12.50", insured=Decimal("10.00"))
    record_desk_payment(patient, Decimal("40.00"), "cash", clerk, statement_id=paid.id)
    page = patient_client.get("/billing").get_data(as_text=True)
    assert "You owe €77.50." in page
    assert "2 statements" in page and "Paid" in page and "To pay" in page
    assert "€40.00 on" in page and "Cash" in page
    assert "RF" in page and "NL91 ABNA 0417 1643 00" in page
    assert _last_audit().action == "billing-viewed"
    home = patient_client.get("/home").get_data(as_text=True)
    assert "Amount due" in home and "You owe €77.50." in home


def test_statement_detail_shows_lines_and_insurance(patient_client, patient_user):
    statement = statement_for(patient_user.patient, "85.00", insured=Decimal("60.00"))
    page = patient_client.get(f"/billing/statements/{statement.id}").get_data(as_text=True)
    assert f"Statement {statement.number}" in page
    assert "Service 0" in page and "€85.00" in page and "€60.00" in page and "€25.00" in page


def test_another_patients_statement_and_payment_are_404_and_audited(patient_client, clerk):
    other = make_user()
    statement = statement_for(other.patient, "10.00")
    payment = record_desk_payment(other.patient, Decimal("5.00"), "cash", clerk)
    for url in (f"/billing/statements/{statement.id}", f"/billing/payments/{payment.id}",
                f"/billing/payments/{payment.id}/return", f"/billing/pay?statement={statement.id}"):
        response = patient_client.get(url)
        assert response.status_code == 404, url
        assert "Service 0" not in response.get_data(as_text=True)
        event = _last_audit()
        assert (event.action, event.outcome) == ("denied:billing", "denied")


def test_staff_other_than_billing_and_admin_are_refused(client, patient_user):
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    assert client.get("/staff/billing").status_code == 404
    assert client.get(f"/staff/billing/patients/{patient_user.patient.id}").status_code == 404
    assert client.get("/billing").status_code == 404


def test_staff_post_a_statement_and_the_patient_gets_a_mail_without_amounts(
        clerk_client, patient_user, outbox):
    pid = patient_user.patient.id
    url = f"/staff/billing/patients/{pid}/statements"
    response = post_form(clerk_client, url, {
        "lines-0-description": "Consultation", "lines-0-service_date": "2026-03-01",
        "lines-0-charged": "85,00", "lines-0-insurance_paid": "60.00",
        "lines-1-description": "Blood test", "lines-1-service_date": "2026-03-01",
        "lines-1-charged": "12.50"}, page=f"{url}/new")
    assert response.status_code == 303
    statement = _db.session.scalar(select(Statement))
    assert [(li.description, li.charged, li.insurance_paid) for li in statement.lines] == [
        ("Consultation", Decimal("85.00"), Decimal("60.00")),
        ("Blood test", Decimal("12.50"), Decimal("0.00"))]
    assert balance(pid) == Decimal("37.50")
    mail = outbox.to(patient_user.email)
    assert mail and mail[-1]["Subject"] == "You have a new statement in the portal"
    body = mail[-1].get_content()
    # No amount in any notation (the patient's name may hold digits, e.g. "Test337").
    amounts = ("37.50", "37,50", "85.00", "85,00", "12.50", "12,50", "60.00", "60,00", "€")
    assert not [amount for amount in amounts if amount in body]
    assert "Consultation" not in body and "/billing" in body


def test_no_statement_mail_when_the_patient_turned_billing_mails_off(clerk_client, patient_user,
                                                                     outbox):
    patient_user.notifications = {"billing": False}
    _db.session.commit()
    url = f"/staff/billing/patients/{patient_user.patient.id}/statements"
    post_form(clerk_client, url, {"lines-0-description": "Visit", "lines-0-service_date":
                                  "2026-03-01", "lines-0-charged": "10"}, page=f"{url}/new")
    assert _db.session.scalar(select(Statement)) is not None
    assert outbox.to(patient_user.email) == []


@pytest.mark.parametrize("data, message", [
    ({}, "Fill in at least one line."),
    ({"lines-0-description": "Visit", "lines-0-service_date": "2026-03-01",
      "lines-0-charged": "12.345"}, "at most two decimals"),
    ({"lines-0-description": "Visit", "lines-0-charged": "12"},
     "Fill in the description, date and amount of the line"),
    ({"lines-0-description": "Visit", "lines-0-service_date": "2026-03-01",
      "lines-0-charged": "10", "lines-0-insurance_paid": "11"},
     "Insurance cannot pay more than was charged."),
])
def test_statement_form_errors_keep_what_was_typed(clerk_client, patient_user, data, message):
    url = f"/staff/billing/patients/{patient_user.patient.id}/statements"
    response = post_form(clerk_client, url, data, page=f"{url}/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "There is a problem" in page
    for value in data.values():
        assert f'value="{value}"' in page
    assert _db.session.scalar(select(Statement)) is None


def test_desk_payment_and_refund_through_the_forms(clerk_client, patient_user, clerk):
    patient = patient_user.patient
    statement_for(patient, "50.00")
    url = f"/staff/billing/patients/{patient.id}/payments"
    response = post_form(clerk_client, url, {"amount": "12,50", "method": "card",
                                             "statement": "0"}, page=f"{url}/new")
    assert response.status_code == 303
    payment = _db.session.scalar(select(Payment))
    assert (payment.amount, payment.method, payment.status) == (Decimal("12.50"), "card",
                                                                "paid")
    assert balance(patient.id) == Decimal("37.50")
    refund_url = f"/staff/billing/payments/{payment.id}/refund"
    response = post_form(clerk_client, refund_url, {"amount": "12.51"})
    assert response.status_code == 422
    assert "Enter at most €12.50, what is left of the payment." in response.get_data(
        as_text=True)
    assert post_form(clerk_client, refund_url, {"amount": "2.50"}).status_code == 303
    assert balance(patient.id) == Decimal("40.00")
    page = clerk_client.get(f"/staff/billing/patients/{patient.id}").get_data(as_text=True)
    assert "Refund" in page and "€40.00" in page and "5 ledger lines" not in page


def test_desk_payment_refuses_a_bad_amount(clerk_client, patient_user):
    url = f"/staff/billing/patients/{patient_user.patient.id}/payments"
    response = post_form(clerk_client, url, {"amount": "-3", "method": "cash"},
                         page=f"{url}/new")
    assert response.status_code == 422
    assert _db.session.scalar(select(Payment)) is None


def test_insurance_change_is_flagged_and_staff_mark_it_reviewed(client, patient_user, clerk):
    login_as(client, patient_user)
    response = post_form(client, "/billing/insurance", {
        "insurer": "Zilveren Kruis", "member_number": "123-456", "holder_name": "Anna Test",
        "relation": "self", "valid_from": "2026-01-01", "valid_to": "",
        "card": (io.BytesIO(PNG), "card.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    coverage = _db.session.scalar(select(Coverage))
    assert coverage.needs_review and coverage.file.content_type == "image/png"
    page = client.get("/billing/insurance").get_data(as_text=True)
    assert "Zilveren Kruis" in page and "Not yet" in page
    assert "At most 10 MB." in page  # the portal's upload limit, as everywhere
    card = client.get(f"/billing/insurance/{coverage.id}/card")
    assert card.status_code == 200 and card.data == PNG
    assert "sandbox" in card.headers["Content-Security-Policy"]
    # A second change keeps the first as an earlier version, with the same card.
    post_form(client, "/billing/insurance", {
        "insurer": "CZ", "member_number": "999", "holder_name": "Anna Test",
        "relation": "self", "valid_from": "2026-06-01"})
    versions = list(_db.session.scalars(select(Coverage).order_by(Coverage.id)))
    assert [v.insurer for v in versions] == ["Zilveren Kruis", "CZ"]
    assert versions[1].file_id == versions[0].file_id is not None
    client.post("/sign-out", data={"csrf_token": ""})
    staff = client.application.test_client()
    login_as(staff, clerk)
    page = staff.get("/staff/billing/insurance").get_data(as_text=True)
    assert "CZ" in page and "Zilveren Kruis" in page
    assert post_form(staff, f"/staff/billing/insurance/{versions[1].id}/reviewed", {},
                     page="/staff/billing/insurance").status_code == 303
    _db.session.expire_all()
    assert not _db.session.get(Coverage, versions[1].id).needs_review
    assert _db.session.get(Coverage, versions[0].id).needs_review


def test_insurance_form_refuses_a_fake_photo_and_a_wrong_period(patient_client):
    response = post_form(patient_client, "/billing/insurance", {
        "insurer": "CZ", "member_number": "1", "holder_name": "A", "relation": "self",
        "valid_from": "2026-06-01", "valid_to": "2026-01-01",
        "card": (io.BytesIO(b"<html>"), "card.png")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The end date must be on or after the start date." in page
    assert "not a PDF, JPEG or PNG" in page
    assert _db.session.scalar(select(Coverage)) is None


def test_payment_plan_request_and_approval(client, patient_user, clerk):
    statement = statement_for(patient_user.patient, "100.00")
    login_as(client, patient_user)
    url = f"/billing/statements/{statement.id}"
    assert post_form(client, f"{url}/plan", {"instalments": "3"}, page=url).status_code == 303
    plan = _db.session.scalar(select(PaymentPlan))
    assert (plan.instalments, plan.status) == (3, "requested")
    staff = client.application.test_client()
    login_as(staff, clerk)
    assert post_form(staff, f"/staff/billing/plans/{plan.id}", {"decision": "approve"},
                     page="/staff/billing/plans").status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Approved" in page and "€33.33" in page and "€33.34" in page


def test_staff_open_an_account_by_patient_number(clerk_client, patient_user):
    number = patient_user.patient.patient_number
    response = clerk_client.get(f"/staff/billing?number={number.lower()}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/billing/patients/{patient_user.patient.id}"
    page = clerk_client.get("/staff/billing?number=X-1").get_data(as_text=True)
    assert "No patient has the ID X-1." in page


def test_admin_sets_the_bank_account_and_a_wrong_iban_is_refused(client, billing_clinic):
    login_as(client, make_user(role="admin"))
    url = "/staff/billing/settings"
    response = post_form(client, url, {"bank_iban": "NL91 ABNA 0417 1643 01",
                                       "bank_holder": "Praktijk", "payment_days": "14"})
    assert response.status_code == 422
    assert "This is not a valid IBAN." in response.get_data(as_text=True)
    response = post_form(client, url, {"bank_iban": "pl61 1090 1014 0000 0712 1981 2874",
                                       "bank_holder": "Przychodnia", "payment_days": "14",
                                       "payment_plans_offered": "y"})
    assert response.status_code == 303
    _db.session.expire_all()
    assert (billing_clinic.bank_iban, billing_clinic.payment_days) == (
        "PL61109010140000071219812874", 14)
    assert billing_clinic.payment_plans_offered


def test_billing_staff_may_not_change_the_settings(clerk_client):
    assert clerk_client.get("/staff/billing/settings").status_code == 404


def test_admin_sees_the_billing_console_with_the_settings_link(client, patient_user, clerk):
    statement_for(patient_user.patient, "12.00")
    login_as(client, make_user(role="admin"))
    page = client.get("/staff/billing").get_data(as_text=True)
    assert "Billing settings" in page and patient_user.patient.full_name in page
    assert "€12.00" in page
