"""The patient's insurance cover: see it, change it, and the card photo."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.billing import bp
from portal.billing import insurance as coverages
from portal.billing.forms import RELATION_LABELS, CoverageForm
from portal.files import send_stored_file, upload_limit_mb
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render


def _page(patient, form, history, status: int = 200):
    return render("billing/insurance.html", "content", status=status, patient=patient,
                  form=form, history=history, relations=RELATION_LABELS,
                  limit_mb=upload_limit_mb())


@bp.get("/billing/insurance")
@area_view(permission=Permission.BILLING, audit=Action.BILLING_VIEWED, target="insurance")
def insurance(patient):
    """The current cover, earlier versions, and the form to change it."""
    history = coverages.coverage_history(patient.id)
    current = history[0] if history else None
    form = CoverageForm(obj=current) if current else CoverageForm()
    return _page(patient, form, history)


@bp.post("/billing/insurance")
@area_view(permission=Permission.BILLING)
def change_insurance(patient):
    """Save the cover as the patient gives it now; staff review the change."""
    form = CoverageForm()
    if not form.validate_on_submit():
        return _page(patient, form, coverages.coverage_history(patient.id), status=422)
    coverages.save_coverage(
        patient, current_user, insurer=form.insurer.data, member_number=form.member_number.data,
        holder_name=form.holder_name.data, relation=form.relation.data,
        valid_from=form.valid_from.data, valid_to=form.valid_to.data, card=form.card.data)
    flash(_("Your insurance details are saved. The clinic will check them."), "success")
    return redirect_after_post(url_for("billing.insurance"))


@bp.get("/billing/insurance/<int:coverage_id>/card")
@area_view(permission=Permission.BILLING, audit=Action.COVERAGE_CARD_DOWNLOADED,
           target="coverage:{coverage_id}")
def insurance_card(patient, coverage_id: int):
    """The photo of the insurance card, as a download that runs nothing."""
    coverage = find_or_refuse(coverages.card_of, coverage_id, patient, Permission.BILLING,
                              name="coverage")
    return send_stored_file(coverage.file)
