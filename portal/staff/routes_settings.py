"""The clinic's sign-in settings for patients (administrators)."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.clinic import current_clinic
from portal.extensions import db
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render
from portal.staff import bp
from portal.staff.forms import SignInSettingsForm


@bp.route("/settings/sign-in", methods=["GET", "POST"])
@area_view(side=STAFF, roles=("admin",))
def sign_in_settings():
    """Show and save whether patients must use a second step, and whether codes may be e-mailed.

    Required: a patient without a second step is taken through setting one up at their
    next sign-in (or next page, when already signed in). Staff always need one.
    """
    clinic = current_clinic()
    form = SignInSettingsForm(obj=clinic)
    if form.validate_on_submit():
        changed = [name for name in ("patient_2fa_required", "email_codes_allowed")
                   if getattr(clinic, name) != form[name].data]
        clinic.patient_2fa_required = form.patient_2fa_required.data
        clinic.email_codes_allowed = form.email_codes_allowed.data
        if changed:
            audit.record(audit.Action.CLINIC_SETTINGS_CHANGED, actor=current_user,
                         target="sign-in:" + ",".join(changed))
        db.session.commit()
        flash(_("The sign-in settings are saved."), "success")
        return redirect_after_post(url_for("staff.sign_in_settings"))
    return render("staff/sign_in_settings.html", "content",
                  status=422 if form.errors else 200, form=form)
