"""Teams through the challenges service's API (in-process, real database): making, inviting,
answering, leaving; one team per person per challenge; limits shared by a team; the leaderboard
names the team; admins see and edit every team."""

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy.orm import Session
from test_deletes import ok, refused

from services.core.database import make_engine
from services.core.orm import Evaluation, JobStatus, Phase, Submission, advance


@pytest.fixture
def app(monkeypatch, tmp_path):
    for name in ("alice", "bob", "carol"):
        monkeypatch.setitem(apptools.USERS, name, apptools.USERS["datascientist"])
    url = f"sqlite:///{tmp_path}/gc.sqlite"
    with fake_hub_auth(monkeypatch), service_app("challenges", url) as running:
        running.url = url
        yield running


def challenge_with_participants(app, slug="lungs", use_teams=True):
    ok(app.call("POST", "challenges", "researcher", {"slug": slug, "title": "Lungs", "use_teams": use_teams}), 201)
    for user in ("alice", "bob", "carol"):
        request = ok(app.call("POST", f"challenges/{slug}/join", user, {}), 201)
        ok(app.call("POST", f"challenges/{slug}/join-requests/{request['id']}", "researcher", {"decision": "accept"}))


def test_a_team_is_made_joined_by_invitation_and_left(app):
    challenge_with_participants(app)
    team = ok(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Lung lab"}), 201)
    assert team["members"] == ["alice"] and team["invitations"] == []
    refused(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Another"}), 409, "in team 'Lung lab'")
    refused(app.call("POST", "challenges/lungs/teams", "bob", {"name": "Lung lab"}), 409, "has a team named")
    refused(app.call("POST", "challenges/lungs/teams", "datascientist", {"name": "X"}), 403, "ask to join it first")

    team_path = f"challenges/lungs/teams/{team['id']}"
    refused(app.call("POST", f"{team_path}/invitations", "bob", {"username": "carol"}), 403, "Only the members")
    refused(
        app.call("POST", f"{team_path}/invitations", "alice", {"username": "datascientist"}), 409, "does not take part"
    )
    invitation = ok(app.call("POST", f"{team_path}/invitations", "alice", {"username": "bob"}), 201)
    refused(app.call("POST", f"{team_path}/invitations", "alice", {"username": "bob"}), 409, "invited into team")
    told = ok(app.call("GET", "notifications", "bob"))["results"][0]  # the newest
    assert told["kind"] == "team-invitation" and "alice invites you into team 'Lung lab'" in told["subject"]

    # Only bob sees and answers his invitation; outsiders see the team without its invitations.
    assert ok(app.call("GET", "team-invitations", "carol"))["results"] == []
    refused(app.call("POST", f"team-invitations/{invitation['id']}", "carol", {"decision": "accept"}), 404, "no team")
    assert ok(app.call("GET", team_path, "carol"))["invitations"] is None
    assert [i["username"] for i in ok(app.call("GET", team_path, "researcher"))["invitations"]] == ["bob"]
    ok(app.call("POST", f"team-invitations/{invitation['id']}", "bob", {"decision": "accept"}))
    assert ok(app.call("GET", team_path, "carol"))["members"] == ["alice", "bob"]
    refused(app.call("POST", f"team-invitations/{invitation['id']}", "bob", {"decision": "refuse"}), 409, "accepted")

    # Leaving: yourself, or an admin takes someone out; others may not.
    refused(app.call("DELETE", f"{team_path}/members?username=bob", "alice"), 403, "you may leave")
    assert app.call("DELETE", f"{team_path}/members?username=bob", "bob")[0] == 204
    assert app.call("DELETE", f"{team_path}/members?username=alice", "researcher")[0] == 204
    refused(app.call("GET", team_path, "alice"), 404, "no team")  # empty: gone


def test_a_challenge_without_teams_refuses_them(app):
    challenge_with_participants(app, use_teams=False)
    refused(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Lung lab"}), 409, "does not use teams")
    ok(app.call("PATCH", "challenges/lungs", "researcher", {"use_teams": True}))
    ok(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Lung lab"}), 201)
    assert ok(app.call("GET", "challenges/lungs", "alice"))["use_teams"] is True


def test_admins_rename_and_delete_teams(app):
    challenge_with_participants(app)
    team = ok(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Lung lab"}), 201)
    path = f"challenges/lungs/teams/{team['id']}"
    refused(app.call("PATCH", path, "bob", {"name": "Mine"}), 403, "Only the members")
    assert ok(app.call("PATCH", path, "researcher", {"name": "Lung lab Utrecht"}))["name"] == "Lung lab Utrecht"
    refused(app.call("DELETE", path, "alice"), 403, "Only the admins")
    assert app.call("DELETE", path, "researcher")[0] == 204
    assert ok(app.call("GET", "challenges/lungs/teams", "alice"))["results"] == []


def test_a_team_shares_the_submission_limit_and_the_leaderboard_names_it(app):
    challenge_with_participants(app)
    body = {"slug": "final", "title": "Final", "visibility": "public", "submissions_limit": 1}
    ok(app.call("POST", "challenges/lungs/phases", "researcher", body), 201)
    team = ok(app.call("POST", "challenges/lungs/teams", "alice", {"name": "Lung lab"}), 201)
    invitation = ok(
        app.call("POST", f"challenges/lungs/teams/{team['id']}/invitations", "alice", {"username": "bob"}), 201
    )
    ok(app.call("POST", f"team-invitations/{invitation['id']}", "bob", {"decision": "accept"}))
    engine = make_engine(app.url)
    with Session(engine) as session:  # alice's evaluated submission, as a worker leaves it
        phase = session.query(Phase).filter_by(slug="final").one()
        submission = Submission(phase=phase, creator="alice", predictions_path="predictions/a.zip")
        evaluation = Evaluation(submission=submission, metrics={"aggregates": {"score": 0.9}}, published=True)
        for status in (JobStatus.PROVISIONING, JobStatus.EXECUTING, JobStatus.SUCCEEDED):
            advance(evaluation, status)
        session.add(evaluation)
        session.commit()
    path = "challenges/lungs/phases/final/submissions"
    body = {"upload_session": 1, "file": 1}
    refused(app.call("POST", path, "bob", body), 409, "Your team 'Lung lab' has used its 1 submission(s)")
    assert "has used" not in app.call("POST", path, "carol", body)[1]["message"]  # not in the team: her limit is free
    engine.dispose()
    with service_app("leaderboard", app.url) as boards:
        [entry] = ok(boards.call("GET", "leaderboards/lungs/final", "carol"))["results"]
        assert (entry["user"], entry["team"], entry["rank"]) == ("alice", "Lung lab", 1)
        csv = boards.get("api/v1/leaderboards/lungs/final?format=csv", "carol").body.decode().splitlines()
        assert csv[0].startswith("rank,user,team,") and csv[1].startswith("1,alice,Lung lab,")
        ok(app.call("PATCH", f"challenges/lungs/teams/{team['id']}", "bob", {"name": "Lung lab 2"}))
        [entry] = ok(boards.call("GET", "leaderboards/lungs/final", "carol"))["results"]
        assert entry["team"] == "Lung lab 2"  # a board read before is not reused once teams change
