"""The security pages: password, second factor, recovery codes and signed-in devices.

Each action has a page of its own that a plain GET shows, with the form that confirms
it. A person whose session timed out while posting comes back to that page after
signing in again, instead of to an error.
"""

from flask import current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import audit
from portal.account import bp, services_security
from portal.account.forms import ChangePasswordForm, CurrentPasswordForm
from portal.auth import sessions, two_factor
from portal.auth.reauth import reauthentication_required
from portal.extensions import limiter
from portal.forms import PortalForm
from portal.pipeline import ANYONE, area_view
from portal.rendering import redirect_after_post, render

#: The session key auth.recovery_codes reads the new codes from, to show them once.
NEW_CODES_KEY = "new_recovery_codes"


def password_limit() -> str:
    """Guesses at the current password are limited like sign-in attempts."""
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _wrong_password(form) -> None:
    form.current_password.errors.append(_("The password is not right."))


@bp.get("/security", endpoint="security")
@area_view(side=ANYONE)
def security_page():
    """The second factor, recovery codes, the password, and where the account is signed in."""
    user = current_user
    return render("account/security.html", user=user,
                  method=services_security.second_factor_name(user.second_factor),
                  may_turn_off=not services_security.second_factor_required(user),
                  email_codes=services_security.email_codes_allowed(user),
                  codes_left=two_factor.remaining_recovery_codes(user)
                  if user.second_factor else 0,
                  rows=services_security.session_rows(user, sessions.current_sid()))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(password_limit, methods=["POST"])
@area_view(side=ANYONE)
def password():
    """Change the password: the current one, then the new one twice."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if services_security.password_matches(current_user, form.current_password.data,
                                              audit.Action.PASSWORD_CHANGED):
            services_security.change_password(current_user, form.password.data,
                                              sessions.current_sid())
            flash(_("Your new password is saved. Any other device where you were signed in "
                    "has been signed out."), "success")
            return redirect_after_post(url_for("account.security"))
        _wrong_password(form)
    return render("account/password.html", "content", status=422 if form.errors else 200,
                  form=form)


@bp.route("/security/second-factor/off", methods=["GET", "POST"])
@limiter.limit(password_limit, methods=["POST"])
@area_view(side=ANYONE)
def second_factor_off():
    """Turn the second sign-in step off, after the current password; never for staff."""
    if current_user.second_factor is None:
        return redirect(url_for("account.security"), 303)
    allowed = not services_security.second_factor_required(current_user)
    form = CurrentPasswordForm()
    status = 200
    if form.is_submitted() and not allowed:
        audit.record(audit.Action.SECOND_FACTOR_DISABLED, patient=current_user.patient_id,
                     outcome="denied", target=None, commit=True)
        status = 403
    elif form.validate_on_submit():
        if services_security.password_matches(current_user, form.current_password.data,
                                              audit.Action.SECOND_FACTOR_DISABLED):
            services_security.turn_off_second_factor(current_user)
            flash(_("The second sign-in step is off. You sign in with your password only."),
                  "success")
            return redirect_after_post(url_for("account.security"))
        _wrong_password(form)
    if form.errors:
        status = 422
    return render("account/second_factor_off.html", "content", status=status, form=form,
                  allowed=allowed)


@bp.route("/security/recovery-codes", methods=["GET", "POST"])
@limiter.limit(password_limit, methods=["POST"])
@area_view(side=ANYONE)
def new_recovery_codes():
    """Make new recovery codes, after the current password; the old ones stop working."""
    if current_user.second_factor is None:
        return redirect(url_for("account.security"), 303)
    form = CurrentPasswordForm()
    if form.validate_on_submit():
        if services_security.password_matches(current_user, form.current_password.data,
                                              audit.Action.RECOVERY_CODES_CREATED):
            session[NEW_CODES_KEY] = services_security.make_recovery_codes(current_user)
            return redirect_after_post(url_for("auth.recovery_codes"))
        _wrong_password(form)
    return render("account/recovery_codes.html", "content", status=422 if form.errors else 200,
                  form=form, codes_left=two_factor.remaining_recovery_codes(current_user))


@bp.route("/security/sign-out-others", methods=["GET", "POST"])
@area_view(side=ANYONE)
@reauthentication_required
def end_other_sessions():
    """Sign out every other device where this account is signed in."""
    form = PortalForm()
    if form.validate_on_submit():
        ended = services_security.end_other_sessions(current_user, sessions.current_sid())
        flash(ngettext("%(num)d other device has been signed out.",
                       "%(num)d other devices have been signed out.", ended), "success")
        return redirect_after_post(url_for("account.security"))
    rows = services_security.session_rows(current_user, sessions.current_sid())
    others = sum(not row.current for row in rows)
    return render("account/sign_out_others.html", form=form, others=others)
