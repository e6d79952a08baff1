"""Teams of a challenge that uses them (``Challenge.use_teams``), as grand-challenge's teams app:
a participant makes a team, invites other participants, who accept or refuse; anyone leaves. A
person is in at most one team per challenge (a database constraint); a team whose last member
left is gone. The challenge's admins see and edit every team.

The rules are here, as functions that change rows and tell whom it concerns (``notify``) in the
caller's transaction; the caller checks who asks and commits.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import Conflict, InvalidValue
from ..status import InvitationStatus, advance
from .base import Base, children, parent_key, utcnow
from .challenges import Challenge
from .notifications import NotificationKind, notify
from .results_version import results_changed
from .roles import ChallengeRole, has_role

TEAM_PAGES = "/services/challenges/challenges/{slug}/teams"


class Team(Base):
    """A team of a challenge: a name unique in it, and its members."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = parent_key("challenges")
    challenge: Mapped[Challenge] = relationship()
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    members: Mapped[list["TeamMember"]] = children("TeamMember", "team")
    invitations: Mapped[list["TeamInvitation"]] = children("TeamInvitation", "team")

    @property
    def usernames(self):
        return sorted(member.username for member in self.members)


class TeamMember(Base):
    """``username`` in ``team``; ``challenge_id`` repeated so that one person is in one team per
    challenge at most (a unique constraint)."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("challenge_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = parent_key("teams")
    team: Mapped[Team] = relationship(back_populates="members")
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(255), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamInvitation(Base):
    """``username`` asked into ``team`` by ``invited_by``."""

    __tablename__ = "team_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = parent_key("teams")
    team: Mapped[Team] = relationship(back_populates="invitations")
    username: Mapped[str] = mapped_column(String(255), index=True)
    invited_by: Mapped[str] = mapped_column(String(255))
    status: Mapped[InvitationStatus] = mapped_column(default=InvitationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


def team_names(session, challenge):
    """``{username: team name}`` of the members of ``challenge``'s teams (none when it uses no teams)."""
    if not challenge.use_teams:
        return {}
    query = select(TeamMember.username, Team.name).join(Team).where(TeamMember.challenge_id == challenge.id)
    return dict(session.execute(query).all())


def _boards_changed(session, challenge):
    """Leaderboards name each entry's team: a change of teams changes what they show."""
    phase_ids = [phase.id for phase in challenge.phases]
    if phase_ids:
        results_changed(session, *phase_ids)


def team_of(session, challenge, username):
    """The team of ``username`` in ``challenge``, or None."""
    return session.scalar(
        select(Team).join(TeamMember).where(TeamMember.challenge_id == challenge.id, TeamMember.username == username)
    )


def teammates(session, challenge, username):
    """Whose submissions count with ``username``'s against a phase's limits: their team's members
    when the challenge uses teams and they are in one, else themselves alone."""
    team = team_of(session, challenge, username) if challenge.use_teams else None
    return team.usernames if team is not None else [username]


def _check_name(name):
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        raise InvalidValue("A team's name must be 1 to 100 characters, such as 'Lung lab Utrecht'.")
    return name


def _check_free(session, challenge, username, who="You are"):
    team = team_of(session, challenge, username)
    if team is not None:
        raise Conflict(
            f"{who} in team {team.name!r} of challenge {challenge.slug!r} already; one is in one team per challenge:"
            " leave it first."
        )


def _check_name_free(session, challenge, name, team=None):
    query = select(Team.id).where(Team.challenge_id == challenge.id, Team.name == name)
    if team is not None:
        query = query.where(Team.id != team.id)
    if session.scalar(query) is not None:
        raise Conflict(f"Challenge {challenge.slug!r} has a team named {name!r} already; choose another name.")


def check_uses_teams(challenge):
    if not challenge.use_teams:
        raise Conflict(
            f"Challenge {challenge.slug!r} does not use teams: each participant takes part alone."
            " Its admins may turn teams on (use_teams)."
        )


def make_team(session, challenge, name, creator):
    """A new team of ``challenge`` named ``name`` with ``creator`` its first member."""
    check_uses_teams(challenge)
    name = _check_name(name)
    _check_free(session, challenge, creator)
    _check_name_free(session, challenge, name)
    team = Team(challenge=challenge, name=name, created_by=creator)
    team.members.append(TeamMember(challenge_id=challenge.id, username=creator))
    session.add(team)
    session.flush()
    _boards_changed(session, challenge)
    return team


def rename(session, team, name):
    team.name = _check_name(name)
    _check_name_free(session, team.challenge, team.name, team)
    session.flush()
    _boards_changed(session, team.challenge)
    return team


def delete_team(session, team):
    """Delete ``team`` with its memberships and invitations (the challenge's admins)."""
    challenge = team.challenge
    session.delete(team)
    session.flush()
    _boards_changed(session, challenge)


def invite(session, team, username, invited_by):
    """Invite ``username`` (a participant of the team's challenge, in no team) into ``team``; they
    are told."""
    challenge = team.challenge
    if not has_role(session, challenge, username, ChallengeRole.PARTICIPANT):
        raise Conflict(
            f"{username!r} does not take part in challenge {challenge.slug!r}: only its participants join"
            " teams; they ask to join the challenge first."
        )
    _check_free(session, challenge, username, f"{username!r} is")
    pending = select(TeamInvitation.id).filter_by(team_id=team.id, username=username, status=InvitationStatus.PENDING)
    if session.scalar(pending) is not None:
        raise Conflict(f"{username!r} is invited into team {team.name!r} already; they accept or refuse it.")
    invitation = TeamInvitation(team=team, username=username, invited_by=invited_by)
    session.add(invitation)
    session.flush()
    notify(
        session,
        NotificationKind.TEAM_INVITATION,
        [username],
        subject=f"{invited_by} invites you into team {team.name!r} of challenge {challenge.title!r}",
        message="Accept or refuse it on the challenge's teams page, or with %gc_team.",
        url=TEAM_PAGES.format(slug=challenge.slug),
    )
    return invitation


def answer(session, invitation, accept):
    """Accept (joining the team) or refuse a pending invitation; its inviter is told."""
    team = invitation.team
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(f"Invitation {invitation.id} is {invitation.status} already.")
    if accept:
        _check_free(session, team.challenge, invitation.username)
        team.members.append(TeamMember(challenge_id=team.challenge_id, username=invitation.username))
    advance(invitation, InvitationStatus.ACCEPTED if accept else InvitationStatus.REFUSED)
    invitation.decided_at = utcnow()
    session.flush()
    if accept:
        _boards_changed(session, team.challenge)
    return invitation


def leave(session, team, username):
    """Take ``username`` out of ``team``; a team left empty is deleted, with its pending invitations."""
    member = next((m for m in team.members if m.username == username), None)
    if member is None:
        raise Conflict(f"{username!r} is not in team {team.name!r}.")
    team.members.remove(member)
    session.flush()
    _boards_changed(session, team.challenge)
    if not team.members:
        session.delete(team)
        session.flush()
        return None
    for invitation in team.invitations:
        if invitation.invited_by == username and invitation.status == InvitationStatus.PENDING:
            advance(invitation, InvitationStatus.WITHDRAWN)
    return team
