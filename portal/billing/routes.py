"""The patient's billing pages: what they owe and why, their payments and receipts."""

from functools import wraps

from flask import abort, request

from portal import audit
from portal.access import Permission, patient_for, patient_required, refuse
from portal.billing import bp, ledger, plans, services
from portal.billing.forms import PlanForm, instalment_choices
from portal.billing.money import creditor_reference, grouped
from portal.billing.providers import get_provider
from portal.clinic import current_clinic
from portal.rendering import render


def billing_page(view):
    """Patients only, and only when the clinic has billing switched on."""

    @wraps(view)
    @patient_required
    def wrapped(*args, **kwargs):
        if not current_clinic().feature_on("billing"):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def viewed(response, patient, target: str):
    """Audit the read once the page is rendered (an earlier commit would expire its rows)."""
    audit.record(audit.Action.BILLING_VIEWED, patient=patient, target=target, commit=True)
    return response


def own_statement(patient, statement_id: int):
    """The patient's statement `statement_id`; anyone else's is refused (404, audited)."""
    view = services.find_statement(patient.id, statement_id)
    if view is None:
        refuse(Permission.BILLING, patient, target=f"statement:{statement_id}")
    return view


def own_payment(patient, payment_id: int):
    """The patient's payment `payment_id`; anyone else's is refused (404, audited)."""
    payment = services.find_payment(patient.id, payment_id)
    if payment is None:
        refuse(Permission.BILLING, patient, target=f"payment:{payment_id}")
    return payment


def _page() -> int:
    return request.args.get("page", 1, type=int)


def transfer_details(patient, statement=None) -> dict:
    """What a patient needs to pay by bank transfer: account, holder, reference."""
    clinic = current_clinic()
    base = statement.number if statement is not None else patient.patient_number
    return {"iban": grouped(clinic.bank_iban.replace(" ", "")), "holder": clinic.bank_holder,
            "reference": grouped(creditor_reference(base))}


@bp.get("/billing")
@billing_page
def overview():
    """The balance due, the statements (unpaid first), the latest payments."""
    patient = patient_for(Permission.BILLING)
    response = render(
        "billing/overview.html", "statements", patient=patient,
        balance=ledger.balance(patient.id),
        statements=services.statements_page(patient.id, _page()),
        payments=services.recent_payments(patient.id),
        online=get_provider().online, transfer=transfer_details(patient))
    return viewed(response, patient, "billing")


@bp.get("/billing/statements/<int:statement_id>")
@billing_page
def statement(statement_id: int):
    """One statement: its lines, what insurance paid, what is owed, how to pay it."""
    patient = patient_for(Permission.BILLING)
    view = own_statement(patient, statement_id)
    plan = services.plan_for(statement_id)
    form = PlanForm()
    form.instalments.choices = instalment_choices()
    response = render(
        "billing/statement.html", patient=patient, view=view, plan=plan,
        entries=services.statement_payments(statement_id), plan_form=form,
        may_ask_plan=plans.may_ask(view, plan),
        schedule=plans.schedule(plan, view.owed, view.statement.due_on)
        if plan is not None and plan.status == "approved" and view.owed > 0 else [],
        online=get_provider().online, transfer=transfer_details(patient, view.statement))
    return viewed(response, patient, f"statement:{statement_id}")


@bp.get("/billing/payments")
@billing_page
def payments():
    """Every payment and online attempt, newest first, each with its receipt."""
    patient = patient_for(Permission.BILLING)
    response = render("billing/payments.html", "list", patient=patient,
                      payments=services.payments_page(patient.id, _page()))
    return viewed(response, patient, "payments")


@bp.get("/billing/payments/<int:payment_id>")
@billing_page
def receipt(payment_id: int):
    """A printable receipt for one payment."""
    patient = patient_for(Permission.BILLING)
    payment = own_payment(patient, payment_id)
    response = render("billing/receipt.html", patient=patient, payment=payment,
                      allocations=services.payment_allocations(payment.id))
    return viewed(response, patient, f"payment:{payment_id}")
