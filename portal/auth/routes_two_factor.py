"""The second factor: the code step at sign-in, recovery codes, and setting it up."""

from flask import abort, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import audit
from portal.auth import bp, services, two_factor
from portal.auth.forms.sign_in import CodeForm, RecoveryCodeForm
from portal.auth.reauth import reauthentication_required
from portal.auth.routes import after_sign_in, sign_in_limit
from portal.clinic import current_clinic
from portal.extensions import db, limiter
from portal.pipeline import ANYONE, area_view
from portal.rendering import redirect_after_post, render

SETUP_SECRET_KEY = "totp_setup_secret"
NEW_CODES_KEY = "new_recovery_codes"


def _pending_or_restart():
    user = services.pending_user()
    if user is None:
        flash(_("Your sign-in took too long. Please start again."), "info")
    return user


def _locked(user):
    """The locked page, for an account locked by wrong passwords or codes."""
    return render("auth/locked.html", status=423, until=user.locked_until)


def _wrong_code(user, target: str | None):
    """Record a wrong code and count it like a wrong password; the locked page once the
    account locks (None while it does not)."""
    audit.record(audit.Action.SECOND_FACTOR, patient=user.patient_id, actor=user,
                 outcome="failure", target=target, commit=True)
    return _locked(user) if services.count_failure(user) else None


def _complete(user, method: str):
    next_url = services.pending_next()
    services.finish_sign_in(user, method)
    return redirect_after_post(after_sign_in(user, next_url))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def second_factor():
    """The second sign-in step: a code from the authenticator app or from an e-mail."""
    user = _pending_or_restart()
    if user is None:
        return redirect(url_for("auth.sign_in"), 303)
    if services.is_locked(user):
        return _locked(user)
    form = CodeForm()
    message = None
    if form.validate_on_submit():
        try:
            if user.second_factor == "email":
                ok = two_factor.check_email_code(user, form.code.data)
            else:
                ok = two_factor.check_totp(user, form.code.data)
        except two_factor.CodeAlreadyUsed:
            ok = False
            message = _("This code has already been used. Wait for the next code in your app "
                        "and enter that one.")
        if ok:
            return _complete(user, user.second_factor)
        if message is None:
            locked = _wrong_code(user, None)
            if locked:
                return locked
            message = _("That code is not right. Check it and try again.")
    status = 422 if form.errors or message else 200
    return render("auth/second_factor.html", "content", status=status, form=form,
                  message=message, method=user.second_factor)


@bp.post("/sign-in/code/new")
@limiter.limit(sign_in_limit)
def second_factor_resend():
    """Send a new e-mail code."""
    user = _pending_or_restart()
    if user is None or user.second_factor != "email":
        return redirect(url_for("auth.sign_in"), 303)
    if services.is_locked(user):
        return _locked(user)
    two_factor.send_email_code(user)
    flash(_("We have sent you a new code."), "success")
    return redirect_after_post(url_for("auth.second_factor"))


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def recovery_sign_in():
    """Sign in with a recovery code when the authenticator is lost."""
    user = _pending_or_restart()
    if user is None:
        return redirect(url_for("auth.sign_in"), 303)
    if services.is_locked(user):
        return _locked(user)
    form = RecoveryCodeForm()
    message = None
    if form.validate_on_submit():
        if two_factor.use_recovery_code(user, form.code.data):
            response = _complete(user, "recovery-code")
            left = two_factor.remaining_recovery_codes(user)
            flash(ngettext("You signed in with a recovery code. You have %(num)d left: make "
                           "new ones or set up your authenticator again on the security page.",
                           "You signed in with a recovery code. You have %(num)d left: make "
                           "new ones or set up your authenticator again on the security page.",
                           left), "info")
            return response
        locked = _wrong_code(user, "method:recovery-code")
        if locked:
            return locked
        message = _("That recovery code is not right, or it has been used before.")
    return render("auth/recovery_sign_in.html", "content",
                  status=422 if form.errors or message else 200, form=form, message=message)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@area_view(side=ANYONE)
@reauthentication_required
def two_factor_setup():
    """Set up an authenticator app: scan the QR code or type the key, then confirm a code."""
    secret = session.get(SETUP_SECRET_KEY)
    if secret is None:
        secret = session[SETUP_SECRET_KEY] = two_factor.new_totp_secret()
    form = CodeForm()
    message = None
    if form.validate_on_submit():
        if two_factor.enable_totp(current_user, secret, form.code.data):
            session.pop(SETUP_SECRET_KEY, None)
            session[NEW_CODES_KEY] = two_factor.new_recovery_codes(current_user)
            db.session.commit()
            return redirect_after_post(url_for("auth.recovery_codes"))
        message = _("That code is not right. Check the time on your phone and try the newest "
                    "code.")
    uri = two_factor.totp_uri(current_user, secret)
    clinic = current_clinic()
    email_allowed = (not current_user.is_staff and clinic.email_codes_allowed
                     and bool(current_user.email))
    return render("auth/two_factor_setup.html", "content",
                  status=422 if form.errors or message else 200, form=form, message=message,
                  qr=two_factor.qr_svg(uri), key=two_factor.grouped_secret(secret),
                  email_allowed=email_allowed)


@bp.post("/two-factor/setup/email")
@area_view(side=ANYONE)
@reauthentication_required
def two_factor_email():
    """Choose e-mailed codes instead of an app (patients, where the clinic allows it)."""
    if current_user.is_staff or not current_clinic().email_codes_allowed \
            or not current_user.email:
        abort(404)
    current_user.second_factor = "email"
    audit.record(audit.Action.SECOND_FACTOR_ENABLED, patient=current_user.patient_id,
                 target="method:email")
    session[NEW_CODES_KEY] = two_factor.new_recovery_codes(current_user)
    db.session.commit()
    return redirect_after_post(url_for("auth.recovery_codes"))


@bp.get("/two-factor/recovery-codes")
@area_view(side=ANYONE)
def recovery_codes():
    """Show new recovery codes, once."""
    codes = session.pop(NEW_CODES_KEY, None)
    return render("auth/recovery_codes.html", codes=codes,
                  next_url=after_sign_in(current_user, None))
