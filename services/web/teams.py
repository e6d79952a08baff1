"""Teams of a challenge (challenges service): anyone who sees the challenge sees its teams and
their members; a participant makes a team and its members invite other participants; the
invited accept or refuse; members leave; the challenge's admins see every invitation, rename,
remove members and delete teams. The rules themselves are in services/core/orm/teams.py."""

from sqlalchemy import select
from tornado import web

from ..api import teams as shapes
from ..core.errors import GcError, NotFound, PermissionDenied
from ..core.orm import ChallengeRole, Team, TeamInvitation
from ..core.orm.teams import answer, check_uses_teams, delete_team, invite, leave, make_team, rename
from ..core.status import InvitationStatus
from .base import PAGE_QUERY, APIHandler, Query, endpoint
from .challenges import ChallengeAccess


class TeamAccess(ChallengeAccess):
    """Finds teams and invitations and checks who may act on them; shared by the API and the pages."""

    def teams(self, challenge):
        return select(Team).filter_by(challenge_id=challenge.id).order_by(Team.name)

    def team(self, challenge, team_id):
        team = self.db.scalar(self.teams(challenge).filter_by(id=int(team_id)))
        if team is None:
            raise NotFound(f"Challenge {challenge.slug!r} has no team {team_id}.")
        return team

    def sees_invitations(self, team):
        return self.username in team.usernames or self.is_admin(team.challenge)

    def team_shape(self, team):
        return shapes.Team.of(team, self.sees_invitations(team))

    def member_team(self, challenge, team_id, doing):
        """The team, if the caller is in it or administers its challenge."""
        team = self.team(challenge, team_id)
        if not self.sees_invitations(team):
            raise PermissionDenied(f"Only the members of team {team.name!r} and the challenge's admins may {doing}.")
        return team

    def create_team(self, challenge, name):
        check_uses_teams(challenge)
        if ChallengeRole.PARTICIPANT not in self.roles(challenge):
            raise PermissionDenied(
                f"Only participants of challenge {challenge.slug!r} make teams: ask to join it first."
            )
        team = make_team(self.db, challenge, name, self.username)
        self.commit()
        return team

    def invite_into(self, team, username):
        invitation = invite(self.db, team, username, self.username)
        self.commit()
        return invitation

    def remove_member(self, team, username):
        """``username`` leaves ``team`` (themselves, or removed by an admin); None if it is gone."""
        if username != self.username and not self.is_admin(team.challenge):
            raise PermissionDenied(f"Only the challenge's admins take others out of team {team.name!r}; you may leave.")
        left = leave(self.db, team, username)
        self.commit()
        return left

    def my_invitations(self):
        return select(TeamInvitation).filter_by(username=self.username).order_by(TeamInvitation.id.desc())

    def my_invitation(self, invitation_id):
        invitation = self.db.scalar(self.my_invitations().filter_by(id=int(invitation_id)))
        if invitation is None:
            raise NotFound(f"You have no team invitation {invitation_id}.")
        return invitation

    def answer_invitation(self, invitation, decision):
        if decision not in ("accept", "refuse"):
            raise GcError(f"decision must be accept or refuse, not {decision!r}.")
        answer(self.db, invitation, decision == "accept")
        self.commit()
        return invitation


class TeamHandler(TeamAccess, APIHandler):
    pass


class TeamsHandler(TeamHandler):
    """GET: the challenge's teams. POST {name}: make a team, with me in it (participants)."""

    @endpoint(returns=shapes.TeamPage, query=PAGE_QUERY)
    @web.authenticated
    def get(self, slug):
        self.write_model(self.page(self.teams(self.challenge(slug)), self.team_shape))

    @endpoint(shapes.TeamCreate, shapes.Team, 201)
    @web.authenticated
    def post(self, slug):
        team = self.create_team(self.challenge(slug), self.body().name)
        self.write_model(self.team_shape(team), 201)


class TeamDetailHandler(TeamHandler):
    """GET: a team. PATCH {name}: rename it (its members, admins). DELETE: delete it (admins)."""

    @endpoint(returns=shapes.Team)
    @web.authenticated
    def get(self, slug, team_id):
        self.write_model(self.team_shape(self.team(self.challenge(slug), team_id)))

    @endpoint(shapes.TeamChange, shapes.Team)
    @web.authenticated
    def patch(self, slug, team_id):
        team = self.member_team(self.challenge(slug), team_id, "rename it")
        rename(self.db, team, self.body().name)
        self.commit()
        self.write_model(self.team_shape(team))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug, team_id):
        challenge = self.admin_challenge(slug, "delete teams")
        delete_team(self.db, self.team(challenge, team_id))
        self.commit()
        self.write_no_content()


class TeamInvitationsHandler(TeamHandler):
    """POST {username}: invite a participant into the team (its members, admins)."""

    @endpoint(shapes.Invite, shapes.TeamInvitation, 201)
    @web.authenticated
    def post(self, slug, team_id):
        team = self.member_team(self.challenge(slug), team_id, "invite others into it")
        invitation = self.invite_into(team, self.body().username)
        self.write_model(shapes.TeamInvitation.of(invitation), 201)


class TeamMembersHandler(TeamHandler):
    """DELETE ?username=: leave the team (yourself), or take someone out of it (admins)."""

    @endpoint(status=204, query={"username": Query(str, "The member's hub username.", True)})
    @web.authenticated
    def delete(self, slug, team_id):
        team = self.team(self.challenge(slug), team_id)
        self.remove_member(team, self.get_argument("username"))
        self.write_no_content()


class MyInvitationsHandler(TeamHandler):
    """GET ?status=: my team invitations, newest first."""

    @endpoint(
        returns=shapes.TeamInvitationPage,
        query={**PAGE_QUERY, "status": Query(InvitationStatus, "Only those in this status.")},
    )
    @web.authenticated
    def get(self):
        query = self.my_invitations()
        status = self.get_argument("status", None)
        if status is not None:
            if status not in set(InvitationStatus):
                raise GcError(f"?status= must be one of {', '.join(InvitationStatus)}, not {status!r}.")
            query = query.filter_by(status=status)
        self.write_model(self.page(query, shapes.TeamInvitation.of))


class MyInvitationHandler(TeamHandler):
    """POST {"decision": "accept"|"refuse"}: answer one of my invitations."""

    @endpoint(shapes.InvitationAnswer, shapes.TeamInvitation)
    @web.authenticated
    def post(self, invitation_id):
        invitation = self.answer_invitation(self.my_invitation(invitation_id), self.body().decision)
        self.write_model(shapes.TeamInvitation.of(invitation))


def routes(prefix):
    api = prefix + "api/v1/"
    teams = api + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/teams"
    team = teams + r"/(?P<team_id>[0-9]+)"
    return [
        (teams, TeamsHandler),
        (team, TeamDetailHandler),
        (team + "/invitations", TeamInvitationsHandler),
        (team + "/members", TeamMembersHandler),
        (api + "team-invitations", MyInvitationsHandler),
        (api + r"team-invitations/(?P<invitation_id>[0-9]+)", MyInvitationHandler),
    ]
