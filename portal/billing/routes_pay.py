"""Paying: the pay page, the trip to the provider and back, and the request for a plan."""

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.billing import bp, ledger, payments, plans, services
from portal.billing.forms import PayForm, PlanForm, instalment_choices
from portal.billing.money import as_typed
from portal.billing.providers import ProviderError, get_provider
from portal.billing.routes import billing_view, statement_page, transfer_details
from portal.i18n import fmt_money
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int


def _chosen_statement(patient):
    """The statement named in ?statement= (or the form), if it is the patient's."""
    statement_id = request.values.get("statement", type=bounded_int)
    if not statement_id:
        return None
    return find_or_refuse(services.find_statement, statement_id, patient, Permission.BILLING,
                          name="statement")


def _pay_page(patient, form, chosen, balance: Decimal, status: int = 200, message=None):
    return render("billing/pay.html", status=status, patient=patient, form=form, chosen=chosen,
                  balance=balance, online=get_provider().online, message=message,
                  transfer=transfer_details(patient, chosen.statement if chosen else None))


@bp.get("/billing/pay")
@billing_view("pay")
def pay(patient):
    """The amount to pay (all that is owed, or part of it) and how."""
    chosen = _chosen_statement(patient)
    balance = ledger.balance(patient.id)
    due = chosen.owed if chosen else balance
    form = PayForm(data={"amount": as_typed(due) if due > 0 else ""})
    return _pay_page(patient, form, chosen, balance)


@bp.post("/billing/pay")
@area_view(feature="billing", permission=Permission.BILLING)
def start_payment(patient):
    """Start an online payment and send the patient to the provider's checkout page."""
    chosen = _chosen_statement(patient)
    balance = ledger.balance(patient.id)
    form = PayForm()
    if not get_provider().online:
        return _pay_page(patient, form, chosen, balance, status=422,
                         message=_("Online payment is not available. Pay by bank transfer "
                                   "or at the desk."))
    if form.validate_on_submit() and form.amount.amount > balance:
        form.amount.errors.append(_("Enter at most %(amount)s, the amount you owe.",
                                    amount=fmt_money(balance)))
    if form.errors or not form.amount.amount:
        return _pay_page(patient, form, chosen, balance, status=422)
    try:
        checkout = payments.start_online_payment(patient, current_user, form.amount.amount,
                                                 chosen.statement.id if chosen else None)
    except ProviderError:
        return _pay_page(patient, form, chosen, balance, status=503, message=_(
            "The payment service cannot be reached just now. Nothing was charged. Try again "
            "in a few minutes."))
    return redirect(checkout, 303)


@bp.get("/billing/payments/<int:payment_id>/return")
@billing_view("payment:{payment_id}")
def payment_return(patient, payment_id: int):
    """Where the provider sends the patient back: the state the provider gives now."""
    payment = find_or_refuse(services.find_payment, payment_id, patient, Permission.BILLING,
                             name="payment")
    unreachable = False
    try:
        payments.sync_payment(payment)
    except ProviderError:
        unreachable = True
    return render("billing/returned.html", patient=patient, payment=payment,
                  unreachable=unreachable)


@bp.post("/billing/statements/<int:statement_id>/plan")
@area_view(feature="billing", permission=Permission.BILLING)
def ask_plan(patient, statement_id: int):
    """Ask to pay the statement in monthly instalments; staff decide."""
    view = find_or_refuse(services.find_statement, statement_id, patient, Permission.BILLING,
                          name="statement")
    form = PlanForm()
    form.instalments.choices = instalment_choices()
    if not plans.may_ask(view, services.plan_for(statement_id)):
        flash(_("A payment plan cannot be asked for this statement."), "error")
    elif not form.validate_on_submit():
        return statement_page(patient, view, form, status=422)
    else:
        plans.request_plan(patient, current_user, view, form.instalments.data)
        flash(_("Your request is sent. The clinic will let you know in the portal."), "success")
    return redirect_after_post(url_for("billing.statement", statement_id=statement_id))
