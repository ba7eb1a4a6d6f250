"""Staff's billing console: balances, a patient's account, statements, desk payments."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import audit
from portal.access import Permission, patient_for, staff_required
from portal.billing import bp, insurance, ledger, plans, services
from portal.billing.forms import DESK_METHODS, DeskPaymentForm, StatementForm
from portal.billing.ledger import LineInput
from portal.billing.money import parse_amount
from portal.billing.notify import new_statement
from portal.billing.routes import viewed
from portal.i18n import fmt_money
from portal.rendering import redirect_after_post, render

ROLES = ("billing", "admin")
PREFIX = "/staff/billing"


def _page() -> int:
    return request.args.get("page", 1, type=int)


@bp.get(PREFIX)
@staff_required(*ROLES)
def staff_balances():
    """Patients with an account and what each owes, with the work waiting for staff.

    `?number=P-100001` opens that patient's account, also one with no lines yet.
    """
    number = (request.args.get("number") or "").strip().upper()
    found = services.patient_by_number(number) if number else None
    if found is not None:
        return redirect(url_for("billing.staff_account", patient_id=found.id), 303)
    response = render("billing/staff_balances.html", "list", number=number,
                      balances=services.balances_page(_page()),
                      to_review=insurance.to_review_count(), plans=plans.requested_count())
    audit.record(audit.Action.BILLING_VIEWED, target="balances", commit=True)
    return response


@bp.get(f"{PREFIX}/patients/<int:patient_id>")
@staff_required(*ROLES)
def staff_account(patient_id: int):
    """One patient's ledger, newest first, with the balance and their insurance."""
    patient = patient_for(Permission.BILLING, patient_id)
    response = render("billing/staff_account.html", "ledger", patient=patient,
                      balance=ledger.balance(patient.id),
                      entries=services.ledger_page(patient.id, _page()),
                      statements=services.statements_page(patient.id, 1, per_page=5),
                      coverage=insurance.current_coverage(patient.id))
    return viewed(response, patient, "ledger")


def _statement_page(patient, form, status: int = 200):
    return render("billing/staff_statement.html", status=status, patient=patient, form=form)


@bp.get(f"{PREFIX}/patients/<int:patient_id>/statements/new")
@staff_required(*ROLES)
def staff_new_statement(patient_id: int):
    """The form for a new statement (up to five lines)."""
    return _statement_page(patient_for(Permission.BILLING, patient_id), StatementForm())


@bp.post(f"{PREFIX}/patients/<int:patient_id>/statements")
@staff_required(*ROLES)
def staff_post_statement(patient_id: int):
    """Post the statement to the patient's account and tell them by e-mail."""
    patient = patient_for(Permission.BILLING, patient_id)
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
@staff_required(*ROLES)
def staff_new_payment(patient_id: int):
    """The form to record money received at the desk or by transfer."""
    patient = patient_for(Permission.BILLING, patient_id)
    return _desk_page(patient, _payment_form(patient))


@bp.post(f"{PREFIX}/patients/<int:patient_id>/payments")
@staff_required(*ROLES)
def staff_record_payment(patient_id: int):
    """Book the payment on the account (oldest statement first, or the one chosen)."""
    patient = patient_for(Permission.BILLING, patient_id)
    form = _payment_form(patient)
    if not form.validate_on_submit():
        return _desk_page(patient, form, status=422)
    payment = ledger.record_desk_payment(
        patient, form.amount.amount, form.method.data, current_user,
        statement_id=form.statement.data or None, note=form.note.data)
    flash(_("The payment of %(amount)s is booked (%(method)s).", amount=fmt_money(payment.amount),
            method=DESK_METHODS[payment.method]), "success")
    return redirect_after_post(url_for("billing.staff_account", patient_id=patient.id))

