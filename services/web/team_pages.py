"""The teams page of a challenge (challenges service): its teams and their members; for
participants, making a team, inviting others, answering invitations and leaving; for its
admins, turning teams on or off, taking members out and deleting teams."""

from tornado import web

from ..api.teams import TeamInvitation
from ..core.errors import GcError
from ..core.orm import ChallengeRole, team_of
from ..core.orm.teams import delete_team
from ..core.status import InvitationStatus
from .pages import PageHandler, page_routes, shown
from .teams import TeamAccess

ACTIONS = ("create", "invite", "accept", "refuse", "leave", "remove", "delete", "use-teams")


class TeamsPage(TeamAccess, PageHandler):
    """GET: the teams; POST ``action``: one of ``ACTIONS`` with its fields."""

    def show(self, slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        mine = team_of(self.db, challenge, self.username)
        pending = self.db.scalars(self.my_invitations().filter_by(status=InvitationStatus.PENDING))
        invitations = [i for i in pending if i.team.challenge_id == challenge.id]
        self.render_page(
            "teams.html",
            status,
            error,
            form,
            challenge={"slug": challenge.slug, "title": challenge.title, "use_teams": challenge.use_teams},
            teams=[shown(self.team_shape(team)) for team in self.db.scalars(self.teams(challenge))],
            my_team=mine.name if mine else None,
            my_team_id=mine.id if mine else None,
            invitations=[shown(TeamInvitation.of(i)) for i in invitations],
            admin=self.is_admin(challenge),
            participant=ChallengeRole.PARTICIPANT in self.roles(challenge),
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        action = self.get_body_argument("action", "")
        if action not in ACTIONS:
            raise GcError(f"Unknown action {action!r}: use one of the page's buttons.")
        fields = self.form("name", "username", "invitation", "team")
        done = self.submit(
            lambda: self.act_on(slug, action, fields) or True, lambda e: self.show(slug, e.status, e.message, fields)
        )
        if done:
            self.redirect(self.request.path)

    def act_on(self, slug, action, fields):
        challenge = self.challenge(slug)
        if action == "create":
            return self.create_team(challenge, fields["name"])
        if action in ("accept", "refuse"):
            invitation = self.my_invitation(fields["invitation"] if fields["invitation"].isdigit() else "0")
            return self.answer_invitation(invitation, action)
        if action == "use-teams":
            challenge = self.admin_challenge(slug, "turn teams on or off")
            challenge.use_teams = self.get_body_argument("use_teams", "") == "on"
            return self.commit()
        team_id = fields["team"] if fields["team"].isdigit() else "0"
        if action == "invite":
            return self.invite_into(self.member_team(challenge, team_id, "invite others into it"), fields["username"])
        if action == "leave":
            return self.remove_member(self.team(challenge, team_id), self.username)
        if action == "remove":
            return self.remove_member(self.team(challenge, team_id), fields["username"])
        challenge = self.admin_challenge(slug, "delete teams")
        delete_team(self.db, self.team(challenge, team_id))
        return self.commit()


def routes(prefix):
    return page_routes(prefix, [(prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/teams", TeamsPage)])
