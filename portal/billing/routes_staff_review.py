"""Staff's billing work lists: refunds, insurance changes to review, payment plans."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse, patient_for, refuse
from portal.audit import Action
from portal.billing import bp, insurance, ledger, plans
from portal.billing.forms import RELATION_LABELS, ActionForm, PlanDecisionForm, RefundForm
from portal.billing.models import Coverage, Payment, PaymentPlan
from portal.billing.routes_staff import PREFIX, ROLES
from portal.files import send_stored_file
from portal.i18n import fmt_money
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, shown
from portal.rendering import redirect_after_post, render


def _found(model, object_id: int):
    """The row, after checking the user may handle billing for its patient (else 404)."""
    return find_or_refuse(model, object_id, None, Permission.BILLING)


def staff_billing(audit: Action | None = None, target: str | None = None):
    """A page of the billing console, for billing staff and administrators."""
    return area_view(side=STAFF, roles=ROLES, audit=audit, target=target)


def _refund_page(payment, form, status: int = 200):
    return render("billing/staff_refund.html", status=status, payment=payment, form=form,
                  refundable=ledger.refundable(payment), patient=payment_patient(payment))


def payment_patient(payment):
    return patient_for(Permission.BILLING, payment.patient_id)


@bp.get(f"{PREFIX}/payments/<int:payment_id>/refund")
@staff_billing(Action.BILLING_VIEWED, "refund:{payment_id}")
def staff_refund_form(payment_id: int):
    """How much of the payment to give back (at most what is left of it)."""
    payment = _found(Payment, payment_id)
    shown([payment.patient_id])
    return _refund_page(payment, RefundForm())


@bp.post(f"{PREFIX}/payments/<int:payment_id>/refund")
@staff_billing()
def staff_refund(payment_id: int):
    """Book the refund: the statements the payment paid are owed again."""
    payment = _found(Payment, payment_id)
    form = RefundForm()
    left = ledger.refundable(payment)
    if form.validate_on_submit() and form.amount.amount > left:
        form.amount.errors.append(_("Enter at most %(amount)s, what is left of the payment.",
                                    amount=fmt_money(left)))
    if form.errors or not form.amount.amount:
        return _refund_page(payment, form, status=422)
    ledger.refund(payment, form.amount.amount, current_user)
    flash(_("The refund of %(amount)s is booked.", amount=fmt_money(form.amount.amount)),
          "success")
    return redirect_after_post(url_for("billing.staff_account", patient_id=payment.patient_id))


@bp.get(f"{PREFIX}/insurance")
@staff_billing(Action.BILLING_VIEWED, "insurance-review")
def staff_coverage_review():
    """Insurance changes patients made that nobody has reviewed yet, oldest first."""
    changes = insurance.to_review_page(page_number())
    shown(change.patient_id for change in changes.items)
    return render("billing/staff_review.html", "list", form=ActionForm(), changes=changes,
                  relations=RELATION_LABELS)


@bp.post(f"{PREFIX}/insurance/<int:coverage_id>/reviewed")
@staff_billing()
def staff_coverage_reviewed(coverage_id: int):
    """Mark the change as checked."""
    coverage = _found(Coverage, coverage_id)
    if ActionForm().validate_on_submit():
        insurance.mark_reviewed(coverage, current_user)
        flash(_("The change is marked as reviewed."), "success")
    return redirect_after_post(url_for("billing.staff_coverage_review"))


@bp.get(f"{PREFIX}/insurance/<int:coverage_id>/card")
@staff_billing(Action.COVERAGE_CARD_DOWNLOADED, "coverage:{coverage_id}")
def staff_insurance_card(coverage_id: int):
    """The photo of the patient's insurance card, as a download that runs nothing."""
    coverage = _found(Coverage, coverage_id)
    if coverage.file is None:
        refuse(Permission.BILLING, coverage.patient_id, target=f"coverage:{coverage_id}")
    shown([coverage.patient_id])
    return send_stored_file(coverage.file)


@bp.get(f"{PREFIX}/plans")
@staff_billing(Action.BILLING_VIEWED, "plans")
def staff_plans():
    """Payment plans patients asked for, waiting for a decision."""
    return _plans_page()


def _plans_page(sent: PlanDecisionForm | None = None, plan: PaymentPlan | None = None,
                status: int = 200):
    """The list of plans to decide, each with its own form. `sent` is the form that came
    back with a mistake, for `plan`: that row shows what was typed and the error, on this
    page even if the list has moved since."""
    requested = plans.requested_page(page_number())
    if plan is not None and plan not in requested.items:
        requested.items.insert(0, plan)
    shown(row.patient_id for row in requested.items)
    forms = {row.id: sent if sent is not None and sent.plan_id == row.id
             else PlanDecisionForm(row.id, formdata=None) for row in requested.items}
    return render("billing/staff_plans.html", "list", status=status, requested=requested,
                  forms=forms, sent=sent)


@bp.post(f"{PREFIX}/plans/<int:plan_id>")
@staff_billing()
def staff_plan_decide(plan_id: int):
    """Approve a payment plan, or decline it with the reason the patient reads."""
    plan = _found(PaymentPlan, plan_id)
    form = PlanDecisionForm(plan.id)
    if form.decision is None:
        return redirect_after_post(url_for("billing.staff_plans"))
    if plan.status != "requested":
        flash(_("This payment plan was already decided."), "error")
    elif not form.validate_on_submit():
        return _plans_page(form, plan, status=422)
    elif plans.decide(plan, current_user, form.decision == "approve", form.note.data):
        flash(_("The payment plan is approved.") if plan.status == "approved"
              else _("The payment plan is declined."), "success")
    else:  # a colleague decided it a moment ago
        flash(_("This payment plan was already decided."), "error")
    return redirect_after_post(url_for("billing.staff_plans"))
