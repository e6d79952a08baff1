"""The teams page in-process: making a team, inviting, answering, leaving, and the admins' part."""

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from test_notification_pages import fetch
from test_teams_api import challenge_with_participants

PAGE = "/services/challenges/challenges/lungs/teams"


@pytest.fixture
def app(monkeypatch, tmp_path):
    for name in ("alice", "bob", "carol"):
        monkeypatch.setitem(apptools.USERS, name, apptools.USERS["datascientist"])
    with fake_hub_auth(monkeypatch), service_app("challenges", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        yield running


def test_a_team_through_its_page(app):
    challenge_with_participants(app, use_teams=False)
    status, html, _ = fetch(app, PAGE, "researcher")
    assert status == 200 and "does not use teams" in html and 'name="use_teams"' in html
    assert fetch(app, PAGE, "alice", {"action": "use-teams", "use_teams": "on"})[0] == 403
    assert fetch(app, PAGE, "researcher", {"action": "use-teams", "use_teams": "on"})[0] == 302

    status, html, _ = fetch(app, PAGE, "alice")
    assert "Make a team" in html and "No teams yet." in html
    status, html, _ = fetch(app, PAGE, "alice", {"action": "create", "name": ""})
    assert status == 422 and "1 to 100 characters" in html  # the mistake on the page, styled
    assert fetch(app, PAGE, "alice", {"action": "create", "name": "Lung lab"})[0] == 302
    status, html, _ = fetch(app, PAGE, "alice", {"action": "invite", "team": "1", "username": "nobody"})
    assert status == 409 and "does not take part" in html and 'value="nobody"' in html
    assert fetch(app, PAGE, "alice", {"action": "invite", "team": "1", "username": "bob"})[0] == 302

    status, html, _ = fetch(app, PAGE, "bob")
    assert "<strong>alice</strong> invites you into team <strong>Lung lab</strong>" in html
    assert fetch(app, PAGE, "bob", {"action": "accept", "invitation": "1"})[0] == 302
    status, html, _ = fetch(app, PAGE, "carol")
    assert "alice, bob" in html and "Leave" not in html and "Invite a participant" not in html

    assert fetch(app, PAGE, "bob", {"action": "leave", "team": "1"})[0] == 302
    status, html, _ = fetch(app, PAGE, "researcher")
    assert "Delete team Lung lab?" in html and "Take alice out of team Lung lab?" in html
    assert fetch(app, PAGE, "researcher", {"action": "delete", "team": "1"})[0] == 302
    assert "No teams yet." in fetch(app, PAGE, "alice")[1]
