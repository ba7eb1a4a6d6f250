"""The account's e-mail address: change it, and send the confirmation link again."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.account import bp, email_change
from portal.account.forms import ChangeEmailForm
from portal.auth.routes import sign_in_limit
from portal.auth.services import safe_next
from portal.auth.verification import address_to_verify, send_verification
from portal.extensions import limiter
from portal.pipeline import ANYONE, area_view
from portal.rendering import redirect_after_post, render


@bp.route("/email", methods=["GET", "POST"])
@area_view(side=ANYONE)
@limiter.limit(sign_in_limit, methods=["POST"])
def change_email():
    """Give a new e-mail address; it is used once the link sent to it has been opened."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        outcome = email_change.request_change(current_user, form.email.data, form.password.data)
        if outcome == email_change.REQUESTED:
            flash(_("We have sent a link to %(email)s. Open it to start using this address.",
                    email=current_user.pending_email), "success")
            return redirect_after_post(url_for("account.change_email"))
        if outcome == email_change.WRONG_PASSWORD:
            form.password.errors.append(_("The password is not right."))
        elif outcome == email_change.UNCHANGED:
            form.email.errors.append(_("This is already the e-mail address of your account."))
        else:
            form.email.errors.append(_("This address cannot be used. Choose another one."))
    return render("account/change_email.html", "content", status=422 if form.errors else 200,
                  form=form, user=current_user, waiting=address_to_verify(current_user))


@bp.post("/email/verify-again")
@area_view(side=ANYONE)
@limiter.limit(sign_in_limit)
def resend_verification():
    """Send the link that confirms the e-mail address again."""
    if send_verification(current_user):
        flash(_("We have sent a new link to %(email)s.", email=address_to_verify(current_user)),
              "success")
    else:
        flash(_("There is no e-mail address waiting to be confirmed."), "info")
    return redirect_after_post(safe_next(request.form.get("next"))
                               or url_for("account.change_email"))
