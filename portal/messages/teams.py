"""The clinic's teams: who answers which topic, and which staff see which queue."""

from __future__ import annotations

from sqlalchemy import delete, select

from portal import audit
from portal.extensions import db
from portal.i18n import in_language  # noqa: F401 - teams' names are per language
from portal.messages.models import Team, TeamMember
from portal.models import User


def active_teams() -> list[Team]:
    """The teams patients can write to, in the clinic's order."""
    return list(db.session.scalars(select(Team).where(Team.active.is_(True))
                                   .order_by(Team.position, Team.id)))


def all_teams() -> list[Team]:
    """Every team, with its members (two queries)."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Team).options(selectinload(Team.members))
                                   .order_by(Team.position, Team.id)))


def team_ids_of(user: User) -> set[int] | None:
    """The teams whose queues `user` works through; None means all (an administrator)."""
    if user.role == "admin":
        return None
    return set(db.session.scalars(select(TeamMember.team_id)
                                  .where(TeamMember.user_id == user.id)))


def works_in(user: User, team_id: int) -> bool:
    """Whether `user` sees and answers the threads of team `team_id`."""
    teams = team_ids_of(user)
    return teams is None or team_id in teams


def save_team(team: Team | None, *, names: dict, topics: dict, position: int, active: bool,
              member_ids: list[int]) -> Team:
    """Create or change a team and set its members (audited, one commit)."""
    if team is None:
        team = Team()
        db.session.add(team)
    team.names, team.topics = dict(names), dict(topics)
    team.position, team.active = position, active
    db.session.flush()
    db.session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    staff = db.session.scalars(select(User.id).where(User.id.in_(member_ids),
                                                     User.role != "patient"))
    db.session.add_all(TeamMember(team_id=team.id, user_id=user_id) for user_id in staff)
    audit.record(audit.Action.TEAM_SAVED, target=f"team:{team.id}")
    db.session.commit()
    return team
