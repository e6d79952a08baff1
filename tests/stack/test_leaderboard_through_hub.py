"""The leaderboard through the real hub and proxy: its API with a hub token, and its page in
Chromium, sorted by a column. Results are written into the platform database as a worker would
leave them (the submission flow itself is tested with the challenges)."""

import csv
import gzip
import io
import urllib.error
import urllib.request
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
    add_results(hub, slug, "final", RESULTS)
    return slug


def add_results(hub, slug, phase_slug, results):
    """Evaluated submissions of ``results`` ((user, dice, distance, published) each) in a phase, as a
    worker leaves them."""
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with Session(make_engine(hub.settings.database_url)) as db:
        phase = db.scalar(select(Phase).where(Phase.slug == phase_slug, Phase.challenge.has(slug=slug)))
        for i, (user, dice, distance, published) in enumerate(results):
            cases = {f"case-{c}": {"dice": dice - c / 100, "distance": distance} for c in range(5)}
            submission = Submission(
                phase=phase, creator=user, predictions_path=f"p/{user}.zip", created_at=start + timedelta(hours=i)
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


def sent(url, headers):
    """``(status, headers, body)`` of a GET as the proxy sent it (urllib leaves a gzip body compressed)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as e:  # 304 too
        return e.code, e.headers, e.read()


@pytest.mark.parametrize("path", ["api/v1/leaderboards/{}/polled", "leaderboards/{}/polled"])
def test_a_polled_leaderboard_comes_gzip_compressed_then_304_until_it_changes(hub, challenge, path):
    """What a browser polling the leaderboard gets through the hub's proxy: the answer compressed,
    304 without a body while it is the same (whichever service process answers), and the new
    answer on the first read after a new result."""
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    phase = {"slug": "polled", "title": "Polled", "visibility": "public", "score_jsonpath": "aggregates.dice.mean"}
    api = f"{hub.url}/services/challenges/api/v1/challenges/{challenge}/phases"
    if requests.get(f"{api}/polled", headers=researcher).status_code == 404:
        requests.post(api, json=phase, headers=researcher).raise_for_status()
        add_results(hub, challenge, "polled", RESULTS[:3] * 10)  # a page that compresses well
    url = f"{hub.url}/services/leaderboard/{path.format(challenge)}"
    browser = {"Authorization": f"token {hub.login('datascientist').new_token()}", "Accept-Encoding": "gzip, br"}

    status, headers, body = sent(url, browser)
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    plain = sent(url, {**browser, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain[1] and gzip.decompress(body) == plain[2] and len(body) < len(plain[2]) / 3
    for _ in range(4):  # the service's processes each keep their own answers: every one knows the tag
        unchanged = sent(url, {**browser, "If-None-Match": headers["Etag"]})
        assert unchanged[0] == 304 and unchanged[2] == b"", unchanged

    add_results(hub, challenge, "polled", [("researcher2", 0.95, 2.0, True)])
    status, changed, body = sent(url, {**browser, "If-None-Match": headers["Etag"]})
    assert status == 200 and changed["Etag"] != headers["Etag"]
    assert gzip.decompress(body).count(b"researcher2") > plain[2].count(b"researcher2")
