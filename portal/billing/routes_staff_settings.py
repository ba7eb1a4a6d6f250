"""The clinic's billing settings: bank account, days to pay, payment plans (administrators)."""

import re

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.billing import bp
from portal.billing.forms import SettingsForm
from portal.billing.routes_staff import PREFIX
from portal.clinic import current_clinic
from portal.extensions import db
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render


@bp.route(f"{PREFIX}/settings", methods=["GET", "POST"])
@area_view(side=STAFF, roles=("admin",))
def staff_settings():
    """Show and save the billing settings."""
    clinic = current_clinic()
    form = SettingsForm(obj=clinic)
    if form.validate_on_submit():
        clinic.bank_iban = re.sub(r"\s", "", form.bank_iban.data or "").upper()
        clinic.bank_holder = (form.bank_holder.data or "").strip()
        clinic.payment_days = form.payment_days.data
        clinic.payment_plans_offered = form.payment_plans_offered.data
        audit.record(audit.Action.BILLING_SETTINGS_CHANGED, actor=current_user, target="clinic")
        db.session.commit()
        flash(_("The billing settings are saved."), "success")
        return redirect_after_post(url_for("billing.staff_settings"))
    return render("billing/staff_settings.html", "content",
                  status=422 if form.errors else 200, form=form)
