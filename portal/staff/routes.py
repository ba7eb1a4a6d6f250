"""Staff console pages: finding patients and looking after their portal accounts."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.access import Permission, patient_for
from portal.audit import Action
from portal.auth.services import unlock
from portal.auth.usernames import suggest_username
from portal.pipeline import STAFF, area_view, shown
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int
from portal.staff import bp, services, services_accounts, services_audit
from portal.staff.forms import (
    InviteForm,
    PatientSearchForm,
    ResetSecondFactorForm,
    TemporaryPasswordForm,
)
from portal.staff.routes_audit import AUDIT_READERS, LATEST
from portal.staff.services import ACCOUNT_MANAGERS
from portal.staff.services_accounts import NotPossible, set_account_enabled
from portal.types import utcnow


@bp.get("")
@area_view(side=STAFF)
def start():
    """The console's own address leads to where staff start: finding a patient."""
    return redirect(url_for("staff.patients"))


@bp.get("/patients")
@area_view(side=STAFF, audit=Action.PATIENT_LISTED, target="search")
def patients():
    """Find a patient by name, patient ID or date of birth."""
    form = PatientSearchForm(request.args)
    query = form.q.data if form.validate() else ""
    page = request.args.get("page", 1, type=bounded_int)
    results = services.search_patients(query, page=max(page, 1))
    shown(results.items)
    return render("staff/patients.html", "results", form=form, results=results, query=query,
                  now=utcnow())


def _patient(patient_id: int):
    return patient_for(Permission.MANAGE_ACCOUNT, patient_id)


def _page(patient, status: int = 200, message: str | None = None, **forms):
    """The patient page with its forms; `forms` replaces the ones that came back with errors.

    Every staff role has the page; the account's forms are only for those who manage
    accounts, the links only to what the reader's role may open, and the newest lines of
    the audit trail only to those who may read it (routes_audit.AUDIT_READERS).
    """
    status_now = services.account_status(patient)
    user = status_now.user
    audit_lines = None
    if current_user.role in AUDIT_READERS:
        audit_lines = services_audit.patient_lines(patient, 1, LATEST)
        shown(services_audit.patients_shown(audit_lines.items))
    not_invitable = services.why_not_invitable(patient)
    return render(
        "staff/patient.html", status=status, patient=patient, account=status_now,
        manages=current_user.role in ACCOUNT_MANAGERS, audit_lines=audit_lines,
        offered=not_invitable is None, not_invitable=not_invitable, message=message,
        invite_form=forms.get("invite") or InviteForm(
            patient=patient, formdata=None,
            data={"by_email": bool(patient.email),
                  "replaces": services.latest_invitation_id(patient) or ""}),
        temporary_form=forms.get("temporary") or (
            TemporaryPasswordForm(formdata=None, data={"username": suggest_username(patient)})
            if user is None else None),
        reset_form=forms.get("reset") or ResetSecondFactorForm(formdata=None),
    )


def _refused(patient, error: NotPossible):
    return _page(patient, status=409, message=str(error))


def _patient_page_permission() -> Permission:
    """Account managers look after the account; every other role answers the patient's
    messages, so every role may know who the patient is."""
    if current_user.role in ACCOUNT_MANAGERS:
        return Permission.MANAGE_ACCOUNT
    return Permission.MESSAGES


@bp.get("/patients/<int:patient_id>")
@area_view(side=STAFF, permission=_patient_page_permission,
           audit=Action.PATIENT_PAGE_VIEWED, target="patient-page")
def patient(patient):
    """A patient's identity, portal account and links to what the reader's role may see."""
    return _page(patient)


@bp.post("/patients/<int:patient_id>/invitation")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def invite(patient_id: int):
    """Invite the patient (again): a new code by e-mail and/or a letter to print, shown once."""
    patient = _patient(patient_id)
    form = InviteForm(patient=patient)
    if not form.validate_on_submit():
        return _page(patient, status=422, invite=form)
    try:
        sent = services.invite_patient(patient, current_user, form.by_email.data,
                                       form.by_letter.data, form.replaces_id)
    except NotPossible as error:
        return _refused(patient, error)
    return shown_once(render("staff/invitation_sent.html", patient=patient, sent=sent,
                              letter=_letter(patient, sent) if sent.by_letter else None))


def shown_once(response):
    """A page holding a secret shown once: htmx keeps the address of the page it came from.

    Reloading then shows that page (without the secret) instead of the POST's address.
    """
    response.headers["HX-Push-Url"] = "false"
    return response


def _letter(patient, sent) -> Markup:
    """The invitation letter, in the patient's language whatever the reader's."""
    locale = services.patient_locale(patient)
    with force_locale(locale):
        return Markup(render_template("staff/invitation_letter.html", patient=patient, sent=sent,
                                      letter_lang=locale, portal_url=services.portal_url()))


@bp.post("/patients/<int:patient_id>/invitation/cancel")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def cancel_invitation(patient_id: int):
    """Cancel the patient's open invitation: its code stops working."""
    return _act(patient_id, lambda patient, user: services.cancel_invitation(patient, user),
                _("The invitation is cancelled. Its code no longer works."))


@bp.post("/patients/<int:patient_id>/temporary-password")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def temporary_password(patient_id: int):
    """Create the patient's account with a temporary password, shown once."""
    patient = _patient(patient_id)
    form = TemporaryPasswordForm()
    if not form.validate_on_submit():
        return _page(patient, status=422, temporary=form)
    try:
        user, password = services.give_temporary_password(patient, current_user,
                                                          form.username.data)
    except NotPossible as error:
        return _refused(patient, error)
    return shown_once(render("staff/temporary_password.html", user=user, password=password,
                              back_url=url_for("staff.patient", patient_id=patient.id)))


@bp.post("/patients/<int:patient_id>/temporary-password/new")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def renew_temporary_password(patient_id: int):
    """Give the patient's existing account a new temporary password, shown once."""
    patient = _patient(patient_id)
    try:
        user, password = services.renew_temporary_password(patient, current_user)
    except NotPossible as error:
        return _refused(patient, error)
    return shown_once(render("staff/temporary_password.html", user=user, password=password,
                              renewed=True,
                              back_url=url_for("staff.patient", patient_id=patient.id)))


@bp.post("/patients/<int:patient_id>/unlock")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def unlock_patient(patient_id: int):
    """Lift the lockout of the patient's account."""
    return _act(patient_id, lambda patient, user: unlock(_account(patient), user),
                _("The account is unlocked."))


@bp.post("/patients/<int:patient_id>/second-factor/reset")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def reset_second_factor(patient_id: int):
    """Remove the account's second factor, after an identity check and with a reason."""
    patient = _patient(patient_id)
    form = ResetSecondFactorForm()
    if not form.validate_on_submit():
        return _page(patient, status=422, reset=form)
    try:
        services_accounts.reset_second_factor(_account(patient), current_user,
                                              form.reason.data)
    except NotPossible as error:
        return _refused(patient, error)
    flash(_("The second sign-in step is removed. The patient can set it up again after "
            "signing in."), "success")
    return redirect_after_post(url_for("staff.patient", patient_id=patient.id))


@bp.post("/patients/<int:patient_id>/disable")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def disable_patient(patient_id: int):
    """Disable the patient's account; every session of it ends at once."""
    return _act(patient_id, lambda patient, user: set_account_enabled(
        _account(patient), user, False), _("The account is disabled and signed out everywhere."))


@bp.post("/patients/<int:patient_id>/enable")
@area_view(side=STAFF, roles=ACCOUNT_MANAGERS)
def enable_patient(patient_id: int):
    """Enable the patient's account again."""
    return _act(patient_id, lambda patient, user: set_account_enabled(
        _account(patient), user, True), _("The account is enabled again."))


def _account(patient):
    if patient.account is None:
        raise NotPossible(_("This patient has no account."))
    return patient.account


def _act(patient_id: int, action, done: str):
    """Run a button's `action` on the patient, then back to the patient page.

    The button's CSRF token is checked for every POST by CSRFProtect before this runs.
    """
    patient = _patient(patient_id)
    try:
        action(patient, current_user._get_current_object())
    except NotPossible as error:
        return _refused(patient, error)
    flash(done, "success")
    return redirect_after_post(url_for("staff.patient", patient_id=patient.id))
