"""Staff's billing console: balances, a patient's account, statements, desk payments."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Permission
from portal.audit import Action
from portal.billing import bp, insurance, ledger, plans, services
from portal.billing.forms import DESK_METHODS, DeskPaymentForm, StatementForm
from portal.billing.ledger import LineInput
from portal.billing.money import parse_amount
from portal.billing.notify import new_statement
from portal.i18n import fmt_money
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, shown
from portal.rendering import redirect_after_post, render

ROLES = ("billing", "admin")
PREFIX = "/staff/billing"


def staff_billing(audit: Action | None = None, target: str | None = None, patient=True):
    """A page of the billing console (billing staff and administrators); with `patient`,
    about the patient in the URL, whom the view gets as `patient`."""
    return area_view(side=STAFF, roles=ROLES, audit=audit, target=target,
                     permission=Permission.BILLING if patient else None)


@bp.get(PREFIX)
@staff_billing(Action.BILLING_VIEWED, "balances", patient=False)
def staff_balances():
    """Patients with an account and what each owes, with the work waiting for staff.

    `?number=P-100001` opens that patient's account, also one with no lines yet.
    """
    number = (request.args.get("number") or "").strip().upper()
    found = services.patient_by_number(number) if number else None
    if found is not None:
        return redirect(url_for("billing.staff_account", patient_id=found.id), 303)
    balances = services.balances_page(page_number())
    shown(row[0] for row in balances.items)
    return render("billing/staff_balances.html", "list", number=number, balances=balances,
                  to_review=insurance.to_review_count(), plans=plans.requested_count())


@bp.get(f"{PREFIX}/patients/<int:patient_id>")
@staff_billing(Action.BILLING_VIEWED, "ledger")
def staff_account(patient):
    """One patient's ledger, newest first, with the balance and their insurance."""
    return render("billing/staff_account.html", "ledger", patient=patient,
                      balance=ledger.balance(patient.id),
                      entries=services.ledger_page(patient.id, page_number()),
                      statements=services.statements_page(patient.id, 1, per_page=5),
                      coverage=insurance.current_coverage(patient.id))


def _statement_page(patient, form, status: int = 200):
    return render("billing/staff_statement.html", status=status, patient=patient, form=form)


@bp.get(f"{PREFIX}/patients/<int:patient_id>/statements/new")
@staff_billing(Action.BILLING_VIEWED, "new-statement")
def staff_new_statement(patient):
    """The form for a new statement (up to five lines)."""
    return _statement_page(patient, StatementForm())


@bp.post(f"{PREFIX}/patients/<int:patient_id>/statements")
@staff_billing()
def staff_post_statement(patient):
    """Post the statement to the patient's account and tell them by e-mail."""
    form = StatementForm()
    if not form.validate_on_submit():
        return _statement_page(patient, form, status=422)
    lines = [LineInput(service_date=line.service_date.data, description=line.description.data,
                       charged=parse_amount(line.charged.data),
                       insurance_paid=parse_amount(line.insurance_paid.data or "0"))
             for line in (entry.form for entry in form.lines.entries)
             if (line.description.data or "").strip()]
    statement = ledger.post_statement(patient, lines, actor=current_user,
                                      due_on=form.due_on.data, commit=False)
    new_statement(patient)  # commits the statement and its e-mails together
    flash(_("Statement %(number)s is posted.", number=statement.number), "success")
    return redirect_after_post(url_for("billing.staff_account", patient_id=patient.id))


def _payment_form(patient) -> DeskPaymentForm:
    form = DeskPaymentForm()
    form.statement.choices = [SelectChoice(0, _("The oldest statement first"))] + [
        SelectChoice(statement_id, _("Statement %(id)s (%(amount)s owed)", id=statement_id,
                                     amount=fmt_money(owed)))
        for statement_id, owed in ledger.open_amounts(patient.id)[:20]]
    return form


def _desk_page(patient, form, status: int = 200):
    return render("billing/staff_payment.html", status=status, patient=patient, form=form,
                  balance=ledger.balance(patient.id))


@bp.get(f"{PREFIX}/patients/<int:patient_id>/payments/new")
@staff_billing(Action.BILLING_VIEWED, "new-payment")
def staff_new_payment(patient):
    """The form to record money received at the desk or by transfer."""
    return _desk_page(patient, _payment_form(patient))


@bp.post(f"{PREFIX}/patients/<int:patient_id>/payments")
@staff_billing()
def staff_record_payment(patient):
    """Book the payment on the account (oldest statement first, or the one chosen)."""
    form = _payment_form(patient)
    if not form.validate_on_submit():
        return _desk_page(patient, form, status=422)
    payment = ledger.record_desk_payment(
        patient, form.amount.amount, form.method.data, current_user,
        statement_id=form.statement.data or None, note=form.note.data)
    flash(_("The payment of %(amount)s is booked (%(method)s).", amount=fmt_money(payment.amount),
            method=DESK_METHODS[payment.method]), "success")
    return redirect_after_post(url_for("billing.staff_account", patient_id=patient.id))

