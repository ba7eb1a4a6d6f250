"""Sign-in and sign-out pages."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth import bp, services
from portal.auth.forms import SignInForm
from portal.extensions import limiter
from portal.rendering import redirect_after_post, render


def home_for(user) -> str:
    """Where a user lands after signing in."""
    return url_for("staff.patients") if user.is_staff else url_for("records.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def sign_in():
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            services.start_session(user)
            next_url = services.safe_next(request.args.get("next"))
            return redirect_after_post(next_url or home_for(user))
        failed = True
    status = 422 if form.errors or failed else 200
    return render("auth/sign_in.html", "content", status=status, form=form, failed=failed)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """Sign the user out and end the session."""
    services.end_session(current_user)
    flash(_("You are signed out."), "success")
    return redirect_after_post(url_for("help.home"))
