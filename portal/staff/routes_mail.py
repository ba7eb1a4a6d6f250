"""Outgoing mail that could not be sent (administrators only): see it, and try again."""

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.mail import problems
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render
from portal.staff import bp


@bp.get("/outgoing-mail")
@area_view(side=STAFF, roles=("admin",))
def outgoing_mail():
    """List the e-mails given up on and those waiting to be tried again, with the reason."""
    return render("staff/outgoing_mail.html", "content", mails=problems.problem_mails())


@bp.post("/outgoing-mail/<int:mail_id>/send-again")
@area_view(side=STAFF, roles=("admin",))
def send_mail_again(mail_id: int):
    """Put an e-mail that was given up on back in the outbox, to be sent at once."""
    if not problems.send_again(mail_id, current_user._get_current_object()):
        abort(404)
    flash(_("The e-mail is back in the outbox and will be sent in a moment."), "success")
    return redirect_after_post(url_for("staff.outgoing_mail"))
