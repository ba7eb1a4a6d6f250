"""Teams, for the administrator: who answers which topic, and in which language it reads."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.access import refuse
from portal.extensions import db
from portal.messages import bp, teams
from portal.messages.forms import TeamForm
from portal.messages.models import Team
from portal.models import STAFF_ROLES, User
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render


@bp.get("/staff/teams")
@area_view(side=STAFF, roles=("admin",), feature="messages")
def teams_list():
    """Every team with its topic and members."""
    return render("messages/teams.html", teams=teams.all_teams())


def _staff_choices(form: TeamForm) -> TeamForm:
    staff = db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES),
                                                  User.enabled.is_(True))
                               .order_by(User.display_name))
    form.members.choices = [(user.id, user.display_name) for user in staff]
    return form


def _form_for(team: Team | None) -> TeamForm:
    if team is None or request.method == "POST":
        return _staff_choices(TeamForm())
    values = {f"name_{lang}": text for lang, text in (team.names or {}).items()}
    values |= {f"topic_{lang}": text for lang, text in (team.topics or {}).items()}
    return _staff_choices(TeamForm(data=values | {
        "position": team.position, "active": team.active,
        "members": [user.id for user in team.members]}))


@bp.route("/staff/teams/new", methods=["GET", "POST"])
@bp.route("/staff/teams/<int:team_id>", methods=["GET", "POST"])
@area_view(side=STAFF, roles=("admin",), feature="messages")
def team(team_id: int | None = None):
    """Add a team, or change one: names, topic, place in the list, members."""
    found = db.session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and found is None:
        refuse("messages", target=f"team:{team_id}")
    form = _form_for(found)
    if request.method == "POST" and form.validate_on_submit():
        teams.save_team(found, names=form.texts("name"), topics=form.texts("topic"),
                        position=form.position.data, active=form.active.data,
                        member_ids=form.members.data or [])
        flash(_("The team is saved."), "success")
        return redirect_after_post(url_for("messages.teams_list"))
    return render("messages/team.html", status=422 if form.errors else 200, team=found,
                  form=form)
