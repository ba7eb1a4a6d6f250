"""Sign-in, sign-out, the lockout page and the forced steps that come before anything else."""

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import bp, services, sessions
from portal.auth.forms.sign_in import NewPasswordForm, SignInForm
from portal.extensions import db, limiter
from portal.forms import stash_form_data
from portal.pipeline import ANYONE, area_view
from portal.rendering import redirect_after_post, render


def sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def home_for(user) -> str:
    """Where a user lands after signing in."""
    return url_for("staff.patients") if user.is_staff else url_for("records.dashboard")


def after_sign_in(user, next_url: str | None) -> str:
    """A step the user must take first, else where they were going, else their home."""
    step = services.required_step(user)
    if step:
        return url_for(STEP_PAGES[step])
    return services.safe_next(next_url) or home_for(user)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
def sign_in():
    """Show the sign-in form and check the username (or e-mail or patient ID) and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    failed = expired = False
    if form.validate_on_submit():
        check = services.check_password(form.identifier.data, form.password.data)
        if check.locked_until is not None:
            return render("auth/locked.html", status=423, until=check.locked_until)
        if check.ok:
            next_url = services.safe_next(request.args.get("next"))
            if services.needs_second_factor_step(check.user):
                services.begin_second_factor(check.user, next_url)
                if check.user.second_factor == "email":
                    from portal.auth.two_factor import send_email_code
                    send_email_code(check.user)
                return redirect_after_post(url_for("auth.second_factor"))
            services.finish_sign_in(check.user)
            return redirect_after_post(after_sign_in(check.user, next_url))
        failed, expired = True, check.expired
    status = 422 if form.errors or failed else 200
    return render("auth/sign_in.html", "content", status=status, form=form, failed=failed,
                  expired=expired, ended=getattr(g, "session_ended", None))


@bp.route("/sign-out", methods=["POST"])
@area_view(side=ANYONE)
def sign_out():
    """Sign the user out and end the session on the server."""
    services.end_session(current_user)
    flash(_("You are signed out."), "success")
    return redirect_after_post(url_for("help.home"))


@bp.route("/sign-in/new-password", methods=["GET", "POST"])
@area_view(side=ANYONE)
def choose_password():
    """After a temporary password: choose a new one before anything else."""
    form = NewPasswordForm(user=current_user)
    if form.validate_on_submit():
        services.set_password(current_user, form.password.data, keep_sid=sessions.current_sid())
        from portal import audit
        audit.record(audit.Action.PASSWORD_CHANGED, patient=current_user.patient_id, target=None)
        db.session.commit()
        flash(_("Your new password is saved."), "success")
        return redirect_after_post(after_sign_in(current_user, None))
    return render("auth/new_password.html", "content", status=422 if form.errors else 200,
                  form=form)


@bp.route("/confirm-password", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"])
@area_view(side=ANYONE)
def confirm_password():
    """Ask for the password again, then go back to the page that needed it."""
    from portal.auth import reauth
    from portal.auth.forms.sign_in import ConfirmPasswordForm

    next_url = services.safe_next(request.args.get("next"))
    back = next_url or url_for("account.security")
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if reauth.confirm_password(current_user, form.password.data):
            return redirect_after_post(back)
        form.password.errors.append(_("The password is not right."))
    return render("auth/confirm_password.html", "content", status=422 if form.errors else 200,
                  form=form, next_url=next_url, back_url=url_for("account.security"),
                  minutes=current_app.config["REAUTH_MINUTES"])


@bp.post("/session/alive")
@area_view(side=ANYONE)
def keep_alive():
    """Keep the session going (the idle-timeout warning's button); back to the page."""
    sessions.touch()
    if request.headers.get("HX-Request"):
        return "", 204
    return redirect(services.safe_next(request.form.get("next")) or home_for(current_user), 303)


STEP_PAGES = {"password": "auth.choose_password", "two_factor": "auth.two_factor_setup"}
#: Pages open to a user who still has a required step to take.
OPEN_DURING_STEPS = {"auth.sign_out", "auth.keep_alive", "auth.choose_password",
                     "auth.confirm_password",
                     "auth.two_factor_setup",
                     "auth.two_factor_email", "auth.recovery_codes", "help.set_language"}


@bp.before_app_request
def enforce_required_step():
    """Send a signed-in user with a required step to it, whatever page they asked for."""
    if request.endpoint is None or request.endpoint.startswith(("help.", "health.")):
        return None
    if not current_user.is_authenticated:
        return None
    step = services.required_step(current_user)
    if step and request.endpoint not in OPEN_DURING_STEPS:
        return redirect(url_for(STEP_PAGES[step]), 303)
    return None


def unauthorized():
    """Not signed in (or the session just ended): explain, keep what was typed, ask to sign in."""
    ended = getattr(g, "session_ended", None)
    if ended in ("idle", "expired"):
        flash(_("You were signed out because the portal was not used for a while. "
                "Sign in again to continue.") if ended == "idle" else
              _("You were signed out because you had been signed in for a long time. "
                "Sign in again to continue."), "info")
        if request.method == "POST":
            stash_form_data()
            flash(_("What you typed has been kept. You will find it on the page after you "
                    "sign in."), "info")
    else:
        flash(_("Please sign in to see this page."), "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.sign_in", next=target), 303)


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    """Open the link from a verification e-mail."""
    from portal.auth.verification import verify

    user = verify(token)
    return render("auth/email_verified.html", status=200 if user else 400, verified=user)
