"""The patient's billing pages: what they owe and why, their payments and receipts."""

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.billing import bp, ledger, plans, services
from portal.billing.forms import PlanForm, instalment_choices
from portal.billing.money import creditor_reference, grouped
from portal.billing.providers import get_provider
from portal.clinic import current_clinic
from portal.paging import page_number
from portal.pipeline import area_view
from portal.rendering import render


def billing_view(target: str):
    """A patient's billing page, audited as `target` (a format string of the URL values)."""
    return area_view(feature="billing", permission=Permission.BILLING,
                     audit=Action.BILLING_VIEWED, target=target)


def transfer_details(patient, statement=None) -> dict:
    """What a patient needs to pay by bank transfer: account, holder, reference."""
    clinic = current_clinic()
    base = statement.number if statement is not None else patient.patient_number
    return {"iban": grouped(clinic.bank_iban.replace(" ", "")), "holder": clinic.bank_holder,
            "reference": grouped(creditor_reference(base))}


@bp.get("/billing")
@billing_view("billing")
def overview(patient):
    """The balance due, the statements (unpaid first), the latest payments."""
    return render(
        "billing/overview.html", "statements", patient=patient,
        balance=ledger.balance(patient.id),
        statements=services.statements_page(patient.id, page_number()),
        payments=services.recent_payments(patient.id),
        online=get_provider().online, transfer=transfer_details(patient))


@bp.get("/billing/statements/<int:statement_id>")
@billing_view("statement:{statement_id}")
def statement(patient, statement_id: int):
    """One statement: its lines, what insurance paid, what is owed, how to pay it."""
    view = find_or_refuse(services.find_statement, statement_id, patient, Permission.BILLING,
                          name="statement")
    form = PlanForm()
    form.instalments.choices = instalment_choices()
    return statement_page(patient, view, form)


def statement_page(patient, view, plan_form, status: int = 200):
    """The statement's page, with the plans asked for it (the latest first) and the form
    to ask for one (with its errors, when it was sent without a choice)."""
    asked = plans.plans_for(view.statement.id)
    plan = asked[0] if asked else None
    return render(
        "billing/statement.html", status=status, patient=patient, view=view, plan=plan,
        earlier_plans=asked[1:], entries=services.statement_payments(view.statement.id),
        plan_form=plan_form, may_ask_plan=plans.may_ask(view, plan),
        schedule=plans.schedule(plan, view.owed, view.statement.due_on)
        if plan is not None and plan.status == "approved" and view.owed > 0 else [],
        online=get_provider().online, transfer=transfer_details(patient, view.statement))


@bp.get("/billing/payments")
@billing_view("payments")
def payments(patient):
    """Every payment and online attempt, newest first, each with its receipt."""
    return render("billing/payments.html", "list", patient=patient,
                  payments=services.payments_page(patient.id, page_number()))


@bp.get("/billing/payments/<int:payment_id>")
@billing_view("payment:{payment_id}")
def receipt(patient, payment_id: int):
    """A printable receipt for one payment."""
    payment = find_or_refuse(services.find_payment, payment_id, patient, Permission.BILLING,
                             name="payment")
    return render("billing/receipt.html", patient=patient, payment=payment,
                  allocations=services.payment_allocations(payment.id))
