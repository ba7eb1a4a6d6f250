"""Activation: a patient with the clinic's invitation code makes their account."""

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import activation, bp, services
from portal.auth.forms.activation import ActivationAccountForm, ActivationCodeForm
from portal.auth.routes import after_sign_in, home_for
from portal.auth.verification import send_verification
from portal.extensions import limiter
from portal.i18n import locale_str
from portal.rendering import redirect_after_post, render


def activation_limit() -> str:
    return current_app.config["ACTIVATION_RATE_LIMIT"]


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(activation_limit, methods=["POST"])
def activate():
    """Step one: check the activation code with the date of birth and last name."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = ActivationCodeForm()
    failed = False
    if form.validate_on_submit():
        check = activation.check_code(form.code.data, form.birth_date, form.family_name.data)
        if check.ok:
            return redirect_after_post(url_for("auth.activate_account"))
        if check.invitation is not None:
            return render("auth/activation_not_offered.html")
        failed = True
    return render("auth/activate.html", "content", status=422 if form.errors or failed else 200,
                  form=form, failed=failed)


@bp.route("/activate/account", methods=["GET", "POST"])
def activate_account():
    """Step two: choose a username and password; the account is made and signed in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    invitation = activation.verified_invitation()
    if invitation is None:
        flash(_("Please start again: enter your activation code, date of birth and last "
                "name."), "info")
        return redirect(url_for("auth.activate"), 303)
    patient = invitation.patient
    form = ActivationAccountForm(patient=patient, data={"email": patient.email})
    message = None
    if form.validate_on_submit():
        user = activation.create_account(invitation, form.username.data, form.email.data,
                                         form.password.data, locale_str())
        if user is not None:
            services.finish_sign_in(user, "activation")
            flash(_("Your account is ready."), "success")
            if send_verification(user):
                flash(_("We sent a link to %(address)s. Open it to confirm your e-mail "
                        "address.", address=user.email), "info")
            return redirect_after_post(after_sign_in(user, None))
        message = _("This username was taken a moment ago. Choose another one.")
    return render("auth/activate_account.html", "content",
                  status=422 if form.errors or message else 200, form=form, message=message,
                  patient=patient)
