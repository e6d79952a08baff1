"""Teams and notifications through the real hub, services, worker and Docker: two data
scientists join a challenge that uses teams, make a team and share its submission limit; the
leaderboard names their team; each event tells the right people and nobody else; the bell,
the notifications page and the teams page in a real browser."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright
from runtools import wait_for
from test_algorithms_through_hub import Client
from test_challenge_flow import EVALUATION_IMAGE, otsu, packed_masks, scan, upload_cases

from services.web.submissions import EVALUATION_FAILURE

pytestmark = pytest.mark.stack

OTHER_CHALLENGE = re.compile(r"/(challenges|leaderboards)/[a-z0-9-]+")  # in a notification's link


def notifications(client):
    """``client``'s notifications, newest first."""
    return client("GET", "challenges", "notifications?limit=500", 200).json()["results"]


def news(client):
    """``client``'s notifications since this module's world was made, but for other challenges'
    (other test files use the same hub and the same people), newest first."""
    return [
        n
        for n in notifications(client)
        if n["id"] > client.notified_before
        and not (OTHER_CHALLENGE.search(n["url"] or "") and client.tag not in n["url"])
    ]


def kinds(client):
    """The kinds of ``client``'s new notifications, oldest first."""
    return [n["kind"] for n in reversed(news(client))]


def told(client, kind):
    return [n for n in news(client) if n["kind"] == kind]


@pytest.fixture(scope="module")
def world(hub, tmp_path_factory):
    folder = tmp_path_factory.mktemp("teams")
    researcher, alice, bob = Client(hub, "researcher"), Client(hub, "datascientist"), Client(hub, "datascientist2")
    clinician = Client(hub, "clinician")
    tag = uuid.uuid4().hex[:6]
    for client in (researcher, alice, bob, clinician):
        client.notified_before, client.tag = max((n["id"] for n in notifications(client)), default=0), tag
    challenge = f"teams-{tag}"
    researcher(
        "POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Team spheres", "use_teams": True}
    )
    common = {"visibility": "participants", "method_image": EVALUATION_IMAGE, "cpu_limit": 1, "memory_limit_mb": 1024,
              "time_limit_s": 300}  # fmt: skip
    soon = datetime.now(UTC)
    phases = [
        {**common, "slug": "final", "title": "Final", "submissions_limit": 1, "method_choice": "required",
         "url_choice": "optional", "closes_at": (soon + timedelta(hours=3)).isoformat()},
        {**common, "slug": "practice", "title": "Practice"},
        {**common, "slug": "later", "title": "Later", "opens_at": (soon + timedelta(hours=5)).isoformat()},
    ]  # fmt: skip
    for phase in phases:
        researcher("POST", "challenges", f"challenges/{challenge}/phases", 201, json=phase)
    cases = {f"case-{i}": scan(i) for i in range(2)}
    masks = packed_masks(folder, {case: otsu(image) for case, image in cases.items()}, "truth.zip")
    for phase in ("final", "practice"):
        session, file = researcher.upload(masks)
        body = {"upload_session": session, "file": file}
        researcher("POST", "challenges", f"challenges/{challenge}/phases/{phase}/ground-truth", 202, json=body)
        assert researcher.wait("archives", f"upload-sessions/{session}/files/{file}")["status"] == "succeeded"
    for participant in (alice, bob):
        request = participant("POST", "challenges", f"challenges/{challenge}/join", 201, json={}).json()
        path = f"challenges/{challenge}/join-requests/{request['id']}"
        researcher("POST", "challenges", path, 200, json={"decision": "accept"})
    return {"researcher": researcher, "alice": alice, "bob": bob, "clinician": clinician, "challenge": challenge,
            "cases": cases, "folder": folder, "tag": tag, "masks": masks}  # fmt: skip


def submit(client, world, phase, masks, name, expect=201, **said):
    session, file = client.upload(packed_masks(world["folder"], masks, name))
    path = f"challenges/{world['challenge']}/phases/{phase}/submissions"
    return client("POST", "challenges", path, expect, json={"upload_session": session, "file": file, **said}).json()


def finished(client, world, phase, submission):
    path = f"challenges/{world['challenge']}/phases/{phase}/submissions/{submission['id']}"
    return client.wait("challenges", path, until=lambda body: body["status"] in ("succeeded", "failed", "cancelled"))


def test_a_team_of_two_shares_the_limit_and_the_leaderboard_names_it(world):
    alice, bob, challenge = world["alice"], world["bob"], world["challenge"]
    team = alice("POST", "challenges", f"challenges/{challenge}/teams", 201, json={"name": "Sphere lab"}).json()
    invited = alice(
        "POST", "challenges", f"challenges/{challenge}/teams/{team['id']}/invitations", 201,
        json={"username": "datascientist2"},
    ).json()  # fmt: skip
    [invitation] = told(bob, "team-invitation")
    assert "datascientist invites you into team 'Sphere lab'" in invitation["subject"]
    bob("POST", "challenges", f"team-invitations/{invited['id']}", 200, json={"decision": "accept"})

    perfect = {case: otsu(image) for case, image in world["cases"].items()}
    said = {"method_name": "Otsu", "method_description": "A threshold.", "url": "https://example.org/otsu"}
    assert "needs the method's name" in submit(alice, world, "final", perfect, "alice.zip", expect=422)["message"]
    done = finished(alice, world, "final", submit(alice, world, "final", perfect, "alice.zip", **said))
    assert done["status"] == "succeeded", done
    refusal = submit(bob, world, "final", perfect, "bob.zip", expect=409)["message"]
    assert "Your team 'Sphere lab' has used its 1 submission(s)" in refusal

    board = f"leaderboards/{challenge}/final"
    assert wait_for(lambda: alice("GET", "leaderboard", board, 200).json()["results"], timeout=120)
    [entry] = bob("GET", "leaderboard", board, 200).json()["results"]
    assert (entry["user"], entry["team"], entry["rank"], entry["method_name"]) == (
        "datascientist",
        "Sphere lab",
        1,
        "Otsu",
    )
    csv = bob("GET", "leaderboard", f"{board}?format=csv", 200).text.splitlines()
    assert csv[0].startswith("rank,user,team,baseline,method_name,url,")
    assert csv[1].startswith("1,datascientist,Sphere lab,False,Otsu,https://example.org/otsu,")
    [succeeded] = told(alice, "submission-succeeded")
    assert succeeded["url"].endswith(f"/challenges/{challenge}/submissions/{done['id']}")


def test_each_event_tells_the_right_people_only(world, hub):
    researcher, alice, bob, clinician = world["researcher"], world["alice"], world["bob"], world["clinician"]
    # A failed evaluation tells its submitter that it failed, and never what the hidden ground truth made it say.
    broken = finished(bob, world, "practice", submit(bob, world, "practice", {}, "empty.zip"))
    assert broken["status"] == "failed"
    [failed] = told(bob, "submission-failed")
    assert failed["message"] == f"Why: {EVALUATION_FAILURE}." and "holds no predictions" not in str(failed)
    # A reader study given to a reader; an import that ended.
    study = f"reads-{world['tag']}"
    researcher("POST", "archives", "reader-studies", 201, json={"slug": study, "title": "Sphere reads"})
    researcher(
        "POST", "archives", f"reader-studies/{study}/members", 201, json={"username": "clinician", "role": "reader"}
    )
    archive = f"spheres-{world['tag']}"
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": "Spheres"})
    upload_cases(researcher, archive, {"one": scan(1)}, world["folder"])
    # Phases closing and opening within a day: told by the workers' periodic pass, once.
    assert wait_for(lambda: told(alice, "phase-closing") and told(alice, "phase-opening"), timeout=120)

    assert wait_for(lambda: "import-ended" in kinds(researcher), timeout=60)
    expected = {
        "researcher": {"join-request", "import-ended", "phase-closing", "phase-opening"},
        "alice": {"join-request-answered", "submission-succeeded", "phase-closing", "phase-opening"},
        "bob": {"join-request-answered", "team-invitation", "submission-failed", "phase-closing", "phase-opening"},
        "clinician": {"reader-study-assigned"},
    }
    clients = {"researcher": researcher, "alice": alice, "bob": bob, "clinician": clinician}
    for who, client in clients.items():
        assert set(kinds(client)) == expected[who], who
    assert len(told(researcher, "join-request")) == 2 and len(told(alice, "phase-closing")) == 1
    assert "Sphere reads" in told(clinician, "reader-study-assigned")[0]["subject"]

    # Nobody reads or marks another's: Bob's ids are not Alice's to mark.
    theirs = [n["id"] for n in bob("GET", "challenges", "notifications", 200).json()["results"]]
    assert alice("POST", "challenges", "notifications/read", 200, json={"ids": theirs}).json()["marked"] == 0
    assert bob("GET", "challenges", "notifications/unread", 200).json()["unread"] == len(theirs)


@pytest.mark.browser
def test_the_bell_the_notifications_page_and_the_teams_page(world, hub, artifacts):
    bob_unread = world["bob"]("GET", "challenges", "notifications/unread", 200).json()["unread"]
    assert bob_unread > 0
    pages = f"{hub.url}/services/challenges"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "datascientist2", hub.passwords["user_password"])
        page.goto(f"{pages}/challenges/{world['challenge']}")
        assert page.get_attribute("#bell", "aria-label") == f"Notifications, {bob_unread} unread"
        page.click("#bell")
        page.wait_for_url("**/services/challenges/notifications")
        alices = told(world["alice"], "submission-succeeded")[0]["subject"]
        assert alices not in page.inner_text("#notifications")  # Alice's, not his
        assert "datascientist invites you into team 'Sphere lab'" in page.inner_text("#notifications")
        page.screenshot(path=str(artifacts / "notifications-page.png"), full_page=True)
        page.click("text=Mark all as read")
        page.wait_for_url("**/services/challenges/notifications")
        assert "You have no unread notifications." in page.inner_text("main")
        assert page.get_attribute("#bell", "aria-label") == "Notifications"

        page.goto(f"{hub.url}/hub/home")  # the hub's own bar has the bell too
        assert page.locator("#gc-bell").is_visible() and page.locator("#gc-bell-count").is_hidden()

        page.goto(f"{pages}/notifications/preferences")
        page.select_option("#phase-closing", "off")
        page.click("text=Save")
        page.wait_for_url("**/notifications/preferences?saved=1")
        assert page.locator("#phase-closing").input_value() == "off"
        page.screenshot(path=str(artifacts / "notification-preferences.png"), full_page=True)

        # The researcher marks Alice's submission a baseline from its page; its method is shown there.
        context.close()
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        final = world["alice"]("GET", "challenges", f"challenges/{world['challenge']}/phases/final/submissions", 200)
        submission = final.json()["results"][0]["id"]
        page.goto(f"{pages}/challenges/{world['challenge']}/submissions/{submission}")
        assert "A threshold." in page.inner_text("#method") and "https://example.org/otsu" in page.inner_text("#method")
        with page.expect_navigation():  # the form posts to this very page, then comes back to it
            page.click("#baseline button")
        assert page.inner_text("#method h2").startswith("Baseline")
        page.screenshot(path=str(artifacts / "submission-method-baseline.png"), full_page=True)
        page.goto(f"{hub.url}/services/leaderboard/leaderboards/{world['challenge']}/final")
        assert "baseline" in page.inner_text("#leaderboard") and "Sphere lab" in page.inner_text("#leaderboard")
        page.screenshot(path=str(artifacts / "leaderboard-team-baseline.png"), full_page=True)
        context.close()

        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "datascientist2", hub.passwords["user_password"])
        page.goto(f"{pages}/challenges/{world['challenge']}")
        page.click("#teams-link a")
        page.wait_for_url("**/teams")
        assert "Sphere lab" in page.inner_text("#teams") and "datascientist, datascientist2" in page.inner_text(
            "#teams"
        )
        page.screenshot(path=str(artifacts / "teams-page.png"), full_page=True)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#teams button[value=leave]")
        page.wait_for_url("**/teams")
        assert "datascientist2" not in page.inner_text("#teams") and "Make a team" in page.inner_text("main")
        assert blocked == []
        browser.close()
