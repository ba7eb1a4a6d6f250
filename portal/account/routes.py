"""The account pages."""

from flask_login import current_user, login_required

from portal.account import bp, services
from portal.rendering import render


@bp.get("/")
@login_required
def profile():
    """The signed-in person's details and recent sign-in activity."""
    activity = services.recent_activity(current_user)
    return render("account/profile.html", user=current_user, patient=current_user.patient,
                  activity=activity)
