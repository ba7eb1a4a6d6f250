"""The patient's insurance cover: see it, change it, and the card photo."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import Permission, patient_for, patient_required, refuse
from portal.billing import bp
from portal.billing import insurance as coverages
from portal.billing.forms import RELATION_LABELS, CoverageForm
from portal.billing.routes import viewed
from portal.files import send_stored_file
from portal.rendering import redirect_after_post, render


def _page(patient, form, history, status: int = 200):
    return render("billing/insurance.html", "content", status=status, patient=patient,
                  form=form, history=history, relations=RELATION_LABELS)


@bp.get("/billing/insurance")
@patient_required
def insurance():
    """The current cover, earlier versions, and the form to change it."""
    patient = patient_for(Permission.BILLING)
    history = coverages.coverage_history(patient.id)
    current = history[0] if history else None
    form = CoverageForm(obj=current) if current else CoverageForm()
    return viewed(_page(patient, form, history), patient, "insurance")


@bp.post("/billing/insurance")
@patient_required
def change_insurance():
    """Save the cover as the patient gives it now; staff review the change."""
    patient = patient_for(Permission.BILLING)
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
@patient_required
def insurance_card(coverage_id: int):
    """The photo of the insurance card, as a download that runs nothing."""
    patient = patient_for(Permission.BILLING)
    coverage = coverages.find_coverage(patient.id, coverage_id)
    if coverage is None or coverage.file is None:
        refuse(Permission.BILLING, patient, target=f"coverage:{coverage_id}")
    response = send_stored_file(coverage.file)
    audit.record(audit.Action.COVERAGE_CARD_DOWNLOADED,
                 patient=patient, target=f"coverage:{coverage_id}",
                 commit=True)
    return response
