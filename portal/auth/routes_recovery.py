"""Getting back in: forgotten password or username, and the verification e-mail again."""

import time
from functools import wraps

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.auth import bp, recovery, two_factor
from portal.auth.forms.recovery import AccountIdentifierForm, ForgotUsernameForm
from portal.auth.forms.sign_in import CodeForm, NewPasswordForm, RecoveryCodeForm
from portal.auth.routes import sign_in_limit
from portal.extensions import limiter
from portal.rendering import redirect_after_post, render

#: ?use=recovery-code on a reset link: give a recovery code instead of the usual code.
USE_RECOVERY_CODE = "recovery-code"
#: Every answer to a request for help takes at least this long, so its timing cannot
#: tell an account that exists (a link made, a mail put in the outbox) from one that
#: does not. The work itself takes a few hundredths of a second either way.
ANSWER_SECONDS = 0.25


def same_duration(view):
    """Answer a POST no sooner than ANSWER_SECONDS after it arrived."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        started = time.monotonic()
        response = view(*args, **kwargs)
        time.sleep(max(0.0, ANSWER_SECONDS - (time.monotonic() - started)))
        return response

    return wrapped


def _sent() -> bool:
    """Whether the page shows the answer to a request (after the redirect) or the form."""
    return request.args.get("sent") == "1"


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
@same_duration
def forgot_password():
    """Ask for a link to choose a new password; the answer is the same for every account."""
    form = AccountIdentifierForm()
    if form.validate_on_submit():
        recovery.request_password_reset(form.identifier.data)
        return redirect_after_post(url_for("auth.forgot_password", sent="1"))
    return render("auth/forgot_password.html", "content", status=422 if form.errors else 200,
                  form=form, sent=_sent(), minutes=recovery.reset_link_minutes())


@bp.route("/forgot-username", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
@same_duration
def forgot_username():
    """Ask for the username to be e-mailed to the registered address."""
    form = ForgotUsernameForm()
    if form.validate_on_submit():
        recovery.send_username_reminder(form.email.data)
        return redirect_after_post(url_for("auth.forgot_username", sent="1"))
    return render("auth/forgot_username.html", "content", status=422 if form.errors else 200,
                  form=form, sent=_sent())


@bp.route("/verify-email/again", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
@same_duration
def resend_verification():
    """Ask for the e-mail that confirms an address to be sent again."""
    form = AccountIdentifierForm()
    if form.validate_on_submit():
        recovery.resend_verification(form.identifier.data)
        return redirect_after_post(url_for("auth.resend_verification", sent="1"))
    return render("auth/resend_verification.html", "content",
                  status=422 if form.errors else 200, form=form, sent=_sent())


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def reset_password(token: str):
    """Open a reset link: give the second factor if the account has one, then a new password."""
    user = recovery.reset_link_user(token)
    if user is None:
        return render("auth/reset_link_invalid.html", status=410)
    if recovery.second_factor_due(user, token):
        return _second_factor_step(user, token)
    form = NewPasswordForm(user=user)
    if form.validate_on_submit():
        recovery.reset_password(user, form.password.data)
        flash(_("Your new password is saved. Sign in with it now."), "success")
        return redirect_after_post(url_for("auth.sign_in"))
    return render("auth/reset_password.html", "content", status=422 if form.errors else 200,
                  form=form, step="password", token=token)


def _second_factor_step(user, token: str):
    """The code step of a reset link (not a view of its own: the link's URL serves it)."""
    use_recovery = request.args.get("use") == USE_RECOVERY_CODE
    by_email = user.second_factor == "email" and not use_recovery
    here = url_for("auth.reset_password", token=token,
                   use=USE_RECOVERY_CODE if use_recovery else None)
    if by_email and request.method == "POST" and request.form.get("action") == "new-code":
        recovery.send_new_code(user, token)
        flash(_("We have sent you a new code."), "success")
        return redirect_after_post(here)
    if by_email and request.method == "GET":
        recovery.send_code_once(user, token)
    form = RecoveryCodeForm() if use_recovery else CodeForm()
    message = None
    if form.validate_on_submit():
        if not recovery.may_try_code(user):
            minutes = recovery.reset_link_minutes()
            message = ngettext("Too many wrong codes. Wait %(num)d minute, ask for a new link "
                               "and try again, or call the clinic.",
                               "Too many wrong codes. Wait %(num)d minutes, ask for a new link "
                               "and try again, or call the clinic.", minutes)
        else:
            try:
                if recovery.check_second_factor(user, token, form.code.data, use_recovery):
                    return redirect_after_post(url_for("auth.reset_password", token=token))
                message = (_("That recovery code is not right, or it has been used before.")
                           if use_recovery else
                           _("That code is not right. Check it and try again."))
            except two_factor.CodeAlreadyUsed:
                message = _("This code has already been used. Wait for the next code in your "
                            "app and enter that one.")
    return render("auth/reset_password.html", "content",
                  status=422 if form.errors or message else 200, form=form, step="code",
                  token=token, action=here, by_email=by_email, use_recovery=use_recovery,
                  message=message)
