"""The unread count in the menu: right on every page, refreshed by htmx once a minute.

Without JavaScript the count is simply part of each page. With it, the menu asks
`/messages/unread` every 60 seconds; that request is background work and does not count
as using the portal, so it never keeps an idle session alive.
"""

from flask import redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.access import Permission, acting_patient_id, may
from portal.clinic import current_clinic
from portal.extensions import db, login_manager
from portal.messages import bp, services
from portal.messages.models import OPEN, TeamMember, Thread
from portal.rendering import render, wants_fragment


def unread_count() -> int:
    """Patients: threads with unread news. Staff: waiting threads in their teams."""
    if not current_user.is_authenticated or not current_clinic().feature_on("messages"):
        return 0
    if not current_user.is_staff:
        patient_id = acting_patient_id(current_user)
        allowed = patient_id is not None and may(current_user, Permission.MESSAGES, patient_id)
        return services.unread_for_patient(patient_id) if allowed else 0
    statement = select(func.count(Thread.id)).where(Thread.status == OPEN,
                                                    Thread.waiting_since.is_not(None))
    if current_user.role != "admin":
        statement = statement.where(Thread.team_id.in_(
            select(TeamMember.team_id).where(TeamMember.user_id == current_user.id)))
    return db.session.scalar(statement) or 0



@bp.get("/messages/unread")
def unread():
    """The count alone, for the menu to refresh itself; a plain visit goes to the inbox."""
    if not current_user.is_authenticated:
        if wants_fragment():
            return "", 204  # signed out meanwhile: leave the page as it is
        return login_manager.unauthorized()
    if not wants_fragment():
        inbox = "messages.staff_inbox" if current_user.is_staff else "messages.inbox"
        response = redirect(url_for(inbox), 303)
        response.vary.add("HX-Request")
        return response
    return render("messages/_unread.html", count=unread_count())
