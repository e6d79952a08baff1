"""The shapes of teams (challenges service): a challenge's teams, their members and invitations."""

from pydantic import Field

from ..core.status import InvitationStatus
from .common import Body, Shape, Time, page_of
from .fields import Text, limited_text, stored


class TeamInvitation(Shape):
    """An invitation into a team."""

    id: int
    team: int = Field(description="The team's id.")
    team_name: str
    challenge: str = Field(description="The challenge's slug.")
    username: str = Field(description="Who is invited.")
    invited_by: str
    status: InvitationStatus
    created_at: Time
    decided_at: Time | None

    @classmethod
    def of(cls, invitation):
        team = invitation.team
        return cls.from_object(invitation, team=team.id, team_name=team.name, challenge=team.challenge.slug)


TeamInvitationPage = page_of(TeamInvitation)


class Team(Shape):
    """A team of a challenge and its members; its pending invitations for its members and the
    challenge's admins."""

    id: int
    name: str
    challenge: str = Field(description="The challenge's slug.")
    created_by: str
    created_at: Time
    members: list[str]
    invitations: list[TeamInvitation] | None = Field(description="Pending ones; for its members and admins only.")

    @classmethod
    def of(cls, team, show_invitations):
        pending = [TeamInvitation.of(i) for i in team.invitations if i.status == InvitationStatus.PENDING]
        return cls.from_object(
            team,
            challenge=team.challenge.slug,
            members=team.usernames,
            invitations=pending if show_invitations else None,
        )


TeamPage = page_of(Team)


class TeamCreate(Body):
    """A new team, with me its first member."""

    name: limited_text(100)


class TeamChange(Body):
    """A team's new name."""

    name: limited_text(100)


class Invite(Body):
    """Invite a participant of the challenge into the team."""

    username: Text


class InvitationAnswer(Body):
    """Accept or refuse an invitation."""

    decision: stored(type="string", enum=["accept", "refuse"])
