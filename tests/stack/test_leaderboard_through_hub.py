"""The leaderboard through the real hub and proxy: its API with a hub token, and its page in
Chromium, sorted by a column. Results are written into the platform database as a worker would
leave them (the submission flow itself is tested with the challenges)."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from browser import collect_errors, hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.orm import Evaluation, JobStatus, Phase, Submission

pytestmark = pytest.mark.stack

# (user, dice, distance, published): dice ranks researcher2, datascientist, clinician; the
# distance column (lower is better) the other way round; the last one is unpublished.
RESULTS = [
    ("datascientist", 0.80, 4.0, True),
    ("researcher2", 0.90, 9.0, True),
    ("clinician", 0.70, 1.0, True),
    ("researcher", 0.99, 0.5, False),
]


@pytest.fixture(scope="module")
def challenge(hub):
    """A challenge of the researcher with a public phase holding RESULTS: its slug."""
    slug = f"board-{uuid.uuid4().hex[:8]}"
    token = hub.login("researcher").new_token()
    api = f"{hub.url}/services/challenges/api/v1/challenges"
    headers = {"Authorization": f"token {token}"}
    requests.post(api, json={"slug": slug, "title": "Leaderboard test"}, headers=headers).raise_for_status()
    phase = {
        "slug": "final",
        "title": "Final",
        "visibility": "public",
        "score_jsonpath": "aggregates.dice.mean",
        "extra_results_columns": [{"path": "aggregates.distance.mean", "title": "Distance", "ascending": True}],
    }
    requests.post(f"{api}/{slug}/phases", json=phase, headers=headers).raise_for_status()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with Session(make_engine(hub.settings.database_url)) as db:
        final = db.scalar(select(Phase).where(Phase.slug == "final", Phase.challenge.has(slug=slug)))
        for i, (user, dice, distance, published) in enumerate(RESULTS):
            cases = {f"case-{c}": {"dice": dice - c / 100, "distance": distance} for c in range(5)}
            submission = Submission(
                phase=final, creator=user, predictions_path=f"p/{user}.zip", created_at=start + timedelta(hours=i)
            )
            db.add(
                Evaluation(
                    submission=submission,
                    status=JobStatus.SUCCEEDED,
                    published=published,
                    completed_at=start,
                    metrics={
                        "case": cases,
                        "aggregates": {"dice": {"mean": dice - 0.02}, "distance": {"mean": distance}},
                    },
                    method_digest="sha256:" + "a" * 64,
                    ground_truth_version="v1",
                )
            )
        db.commit()
    return slug


def test_leaderboard_api_through_the_hub(hub, challenge):
    token = hub.login("datascientist").new_token()
    url = f"{hub.url}/services/leaderboard/api/v1/leaderboards/{challenge}/final"
    r = requests.get(url, headers={"Authorization": f"token {token}"})
    assert r.status_code == 200, r.text
    board = r.json()
    assert [(e["rank"], e["user"]) for e in board["results"]] == [
        (1, "researcher2"),
        (2, "datascientist"),
        (3, "clinician"),
    ]
    assert board["bootstrap"]["computed"] and all(e["score_interval"] for e in board["results"])
    assert board["results"][0]["details"].startswith(f"/services/challenges/challenges/{challenge}/submissions/")

    r = requests.get(url + ".csv", headers={"Authorization": f"token {token}"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert [row["user"] for row in csv.DictReader(io.StringIO(r.text))] == ["researcher2", "datascientist", "clinician"]

    r = requests.get(url + "?method=mean-rank", headers={"Authorization": f"token {token}"})
    assert r.status_code == 403 and "Only the admins" in r.json()["message"]
    assert requests.get(url).status_code == 403  # no token, no cookie


@pytest.mark.browser
def test_leaderboard_page_sorts_by_a_column(hub, challenge, artifacts):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        errors = collect_errors(page)
        hub_login(page, hub.url, "datascientist", hub.passwords["user_password"])

        page.goto(f"{hub.url}/services/challenges/challenges/{challenge}")  # linked from the challenge page
        page.click(f"a[href='/services/leaderboard/leaderboards/{challenge}/final']")
        page.wait_for_url(f"**/services/leaderboard/leaderboards/{challenge}/final")
        users = lambda: page.locator("#leaderboard tbody tr td:nth-child(2)").all_inner_texts()  # noqa: E731
        assert users() == ["researcher2", "datascientist", "clinician"]  # by rank; the unpublished one is not there

        page.click("#leaderboard th:has-text('Distance')")  # lower is better: clinician first
        assert users() == ["clinician", "datascientist", "researcher2"]
        assert page.get_attribute("#leaderboard th:has-text('Distance')", "aria-sort") == "ascending"
        page.click("#leaderboard th:has-text('Distance')")
        assert users() == ["researcher2", "datascientist", "clinician"]
        page.click("#leaderboard th:has-text('User')")
        assert users() == ["clinician", "datascientist", "researcher2"]
        page.screenshot(path=str(artifacts / "leaderboard-page.png"), full_page=True)

        assert not blocked and not errors, (blocked, errors)
        with page.expect_navigation():  # each entry links to its details in the challenges service
            page.locator("#leaderboard tbody tr", has_text="datascientist").locator("text=submission").click()
        assert f"/services/challenges/challenges/{challenge}/submissions/" in page.url
        browser.close()
