"""Staff account administration (administrators only): list, create, disable, unlock."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.services import unlock
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int
from portal.staff import bp, services_accounts
from portal.staff.forms import StaffAccountForm
from portal.staff.routes import shown_once
from portal.staff.services_accounts import NotPossible, set_account_enabled
from portal.types import utcnow


@bp.route("/accounts", methods=["GET", "POST"])
@area_view(side=STAFF, roles=("admin",))
def accounts():
    """List staff accounts, and add a member of staff with a temporary password shown once."""
    form = StaffAccountForm()
    if form.validate_on_submit():
        user, password = services_accounts.create_staff(
            form.username.data, form.display_name.data, form.email.data, form.role.data,
            by=current_user._get_current_object())
        return shown_once(render("staff/temporary_password.html", user=user, password=password,
                                  back_url=url_for("staff.accounts")))
    return _list(form, status=422 if form.errors else 200)


def _list(form, status: int = 200, message: str | None = None):
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    staff = services_accounts.list_staff(page)
    return render("staff/accounts.html", status=status, staff=staff, form=form, message=message,
                  now=utcnow())


def _member(user_id: int):
    user = services_accounts.staff_member(user_id)
    if user is None:
        abort(404)
    return user


def _act(user_id: int, action, done):
    """Run a row button's `action` on a staff account, then back to the list."""
    user = _member(user_id)
    try:
        action(user, current_user._get_current_object())
    except NotPossible as error:
        return _list(StaffAccountForm(formdata=None), status=409, message=str(error))
    flash(done(user.display_name), "success")
    return redirect_after_post(url_for("staff.accounts"))


@bp.post("/accounts/<int:user_id>/disable")
@area_view(side=STAFF, roles=("admin",))
def disable_account(user_id: int):
    """Disable a staff account; every session of it ends at once."""
    return _act(user_id, lambda user, by: set_account_enabled(user, by, False),
                lambda name: _("The account of %(name)s is disabled and signed out "
                               "everywhere.", name=name))


@bp.post("/accounts/<int:user_id>/enable")
@area_view(side=STAFF, roles=("admin",))
def enable_account(user_id: int):
    """Enable a staff account again."""
    return _act(user_id, lambda user, by: set_account_enabled(user, by, True),
                lambda name: _("The account of %(name)s is enabled again.", name=name))


@bp.post("/accounts/<int:user_id>/unlock")
@area_view(side=STAFF, roles=("admin",))
def unlock_account(user_id: int):
    """Lift the lockout of a staff account."""
    return _act(user_id, unlock,
                lambda name: _("The account of %(name)s is unlocked.", name=name))
