"""The leaderboard service in-process (see apptools), on SQLite and PostgreSQL: evaluations are
made directly in the database, then read through the API, the CSV export and the pages."""

import csv
import gzip
import io
from datetime import UTC, datetime, timedelta

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from tornado.httpclient import HTTPClientError, HTTPRequest

from services.core.database import make_engine
from services.core.orm import (
    Algorithm,
    AlgorithmModel,
    ChallengeRole,
    Evaluation,
    JobStatus,
    NotificationKind,
    Phase,
    Submission,
    grant,
    notify,
)
from services.web import base, leaderboard
from services.web.leaderboard import fingerprint
from services.web.leaderboard_pages import LeaderboardPage

CHALLENGE = "lungs"
START = datetime(2030, 1, 1, tzinfo=UTC)
METHOD = "sha256:" + "e" * 64
PARTICIPANTS = ("alice", "bob", "carol")


def metrics(score, hd=None, cases=None):
    aggregates = {"dice": {"mean": score}} | ({"hd": {"mean": hd}} if hd is not None else {})
    return {"case": cases or {}, "aggregates": aggregates}


class World:
    """Challenge ``lungs`` of ``researcher`` (its admin) with participants alice, bob and carol,
    a public, a participants-only and a hidden phase, and ``add`` to make evaluated submissions."""

    def __init__(self, challenges, database_url):
        self.challenges, self.engine = challenges, make_engine(database_url)
        self.minutes = 0
        expect(challenges.call("POST", "challenges", "researcher", {"slug": CHALLENGE, "title": "Lungs"}), 201)
        for slug, visibility in (("open", "public"), ("members", "participants"), ("secret", "hidden")):
            body = {
                "slug": slug,
                "title": slug.title(),
                "visibility": visibility,
                "score_jsonpath": "aggregates.dice.mean",
                "ground_truth_version": "gt-secret-v3",
            }
            expect(challenges.call("POST", f"challenges/{CHALLENGE}/phases", "researcher", body), 201)
        with Session(self.engine) as db:
            challenge = db.scalar(select(Phase).filter_by(slug="open")).challenge
            for user in PARTICIPANTS:
                grant(db, challenge, user, ChallengeRole.PARTICIPANT)
            db.commit()

    def add(self, phase, user, metrics, *, published=True, status=JobStatus.SUCCEEDED, submission=None, model=None):
        """An evaluation of a new submission of ``user`` (or of ``submission``): a predictions file,
        or with ``model`` (a checksum) an algorithm with that model; returns the submission id."""
        self.minutes += 1
        with Session(self.engine) as db:
            phase_row = db.scalar(select(Phase).filter_by(slug=phase))
            if submission is None:
                made = Submission(
                    phase=phase_row,
                    creator=user,
                    predictions_path=None if model else f"p/{user}.zip",
                    created_at=START + timedelta(minutes=self.minutes),
                )
                if model:
                    made.algorithm = Algorithm(slug=f"alg-{self.minutes}", title="A", created_by=user)
                    made.algorithm_model = AlgorithmModel(algorithm=made.algorithm, filename="m.tar.gz",
                                                          tarball_path="m", sha256=model, created_by=user)  # fmt: skip
            else:
                made = db.get(Submission, submission)
            db.add(
                Evaluation(
                    submission=made,
                    status=status,
                    metrics=metrics,
                    published=published,
                    method_digest=METHOD,
                    ground_truth_version="gt-secret-v3",
                    algorithm_digest=f"sha256:{user[0] * 64}",
                    completed_at=START + timedelta(minutes=self.minutes),
                )
            )
            db.commit()
            return made.id

    def set_phase(self, phase, **settings):
        with Session(self.engine) as db:
            row = db.scalar(select(Phase).filter_by(slug=phase))
            for name, value in settings.items():
                setattr(row, name, value)
            db.commit()


def expect(response, status=200, *words):
    """The body of ``(status, body)`` after checking the status and, for errors, the message's words."""
    code, body = response
    assert code == status, body
    assert all(word in body["message"] for word in words), body
    return body


@pytest.fixture
def apps(database_url, monkeypatch):
    """``(world, leaderboard app)`` on one fresh database."""
    for user in (*PARTICIPANTS, "participant"):
        monkeypatch.setitem(apptools.USERS, user, apptools.USERS["datascientist"])
    with (
        fake_hub_auth(monkeypatch),
        service_app("challenges", database_url) as challenges,
        service_app("leaderboard", database_url) as leaderboard,
    ):
        yield World(challenges, database_url), leaderboard


def fetch(app, path, user):
    """``(status, content type, text)`` of a GET of ``/services/leaderboard/<path>`` as ``user``."""
    request_url = app.get_url(f"/services/leaderboard/{path}")
    try:
        response = app.io_loop.run_sync(lambda: app.http_client.fetch(request_url, headers={"X-Test-User": user}))
    except HTTPClientError as e:
        response = e.response
    return response.code, response.headers.get("Content-Type"), response.body.decode()


def summary(board):
    return [(e["rank"], e["user"], e["score"]) for e in board["results"]]


def test_ranks_published_results_and_pins_each_entry(apps):
    world, board_app = apps
    alice = world.add("open", "alice", metrics(0.8))
    world.add("open", "bob", metrics(0.9))
    world.add("open", "carol", metrics(0.8))
    world.add("open", "carol", {"aggregates": {"dice": {"mean": "n/a"}}})  # listed last, unranked
    world.add("open", "bob", metrics(0.99), published=False)  # admins only
    world.add("open", "bob", metrics(1.0), status=JobStatus.FAILED)  # nobody
    world.add("open", "alice", metrics(0.1), submission=alice)  # a re-evaluation: the latest counts

    board = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open", "alice"))
    assert summary(board) == [(1, "bob", 0.9), (2, "carol", 0.8), (3, "alice", 0.1), (None, "carol", None)]
    assert board["results"][-1]["notes"] == ['not ranked: aggregates.dice.mean is not a number ("n/a")']
    assert (board["count"], board["ranked"], board["admin"]) == (4, 3, False)
    entry = board["results"][0]
    assert entry["pinned"] == {
        "algorithm_digest": "sha256:" + "b" * 64,
        "model_sha256": None,  # a predictions file
        "evaluated_with": fingerprint(METHOD, "gt-secret-v3"),
    }
    assert entry["details"] == f"/services/challenges/challenges/{CHALLENGE}/submissions/{entry['submission']}"
    assert "gt-secret-v3" not in str(board) and METHOD not in str(board)

    admin_board = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open", "researcher"))
    assert summary(admin_board)[0] == (1, "bob", 0.99) and admin_board["results"][0]["published"] is False
    assert admin_board["results"][0]["pinned"]["ground_truth_version"] == "gt-secret-v3"
    assert admin_board["results"][0]["pinned"]["method_digest"] == METHOD


def test_who_sees_which_phase(apps):
    world, board_app = apps
    for phase in ("open", "members", "secret"):
        world.add(phase, "alice", metrics(0.5))
    with Session(world.engine) as db:  # a participant who is an admin too: one row per role
        grant(db, db.scalar(select(Phase).filter_by(slug="open")).challenge, "bob", ChallengeRole.ADMIN)
        db.commit()
    for user, visible in [
        ("alice", {"open", "members"}),
        ("datascientist", {"open"}),  # not a participant
        ("researcher2", {"open"}),
        ("researcher", {"open", "members", "secret"}),
        ("bob", {"open", "members", "secret"}),
        ("admin", {"open", "members", "secret"}),  # the hub's admin
    ]:
        for phase in ("open", "members", "secret"):
            status, body = board_app.call("GET", f"leaderboards/{CHALLENGE}/{phase}", user)
            assert (status == 200) == (phase in visible), (user, phase, status, body)
            if phase not in visible:
                assert status == 404 and body["message"] == f"Challenge {CHALLENGE!r} has no phase {phase!r}."
            assert (fetch(board_app, f"leaderboards/{CHALLENGE}/{phase}", user)[0] == 200) == (phase in visible)
            assert (status == 200 and body["admin"]) == (user in ("researcher", "bob", "admin"))
        combined = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}", user))
        assert set(combined["phases"]) == visible
    expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open", None), 403, "Not signed in")
    expect(board_app.call("GET", f"leaderboards/{CHALLENGE}?phases=open,secret", "alice"), 404, "'secret'")
    expect(board_app.call("GET", "leaderboards/nope/open", "alice"), 404, "no challenge")


def test_admins_may_rank_differently_for_a_view_and_others_may_not(apps):
    world, board_app = apps
    world.set_phase("open", extra_results_columns=[{"path": "aggregates.hd.mean", "title": "HD", "ascending": True}])
    world.add("open", "alice", metrics(0.9, hd=9.0))
    world.add("open", "alice", metrics(0.5, hd=1.0))
    world.add("open", "bob", metrics(0.7, hd=5.0))
    path = f"leaderboards/{CHALLENGE}/open"
    assert summary(expect(board_app.call("GET", path, "bob")))[0] == (1, "alice", 0.9)
    expect(board_app.call("GET", path + "?display=best", "bob"), 403, "Only the admins", "?display=")
    expect(board_app.call("GET", path + "?method=mean-rank", "bob"), 403, "Only the admins")
    best = expect(board_app.call("GET", path + "?display=best&method=mean-rank", "researcher"))
    # mean of ranks on (dice, hd): alice#1 (1, 3) = 2, alice#2 (3, 1) = 2, bob (2, 2) = 2: all tie
    assert best["scoring"]["method"] == "mean-rank" and best["scoring"]["display"] == "best"
    assert [(e["rank"], e["user"]) for e in best["results"]] == [(1, "alice"), (1, "bob")]
    expect(board_app.call("GET", path + "?method=fastest", "researcher"), 400, "scoring method must be one of")
    # the phase's own settings are what everyone else keeps seeing
    world.set_phase("open", result_display="most-recent")
    assert summary(expect(board_app.call("GET", path, "bob"))) == [(1, "bob", 0.7), (2, "alice", 0.5)]


def test_pages_of_entries(apps):
    world, board_app = apps
    for i in range(7):
        world.add("open", PARTICIPANTS[i % 3], metrics(i / 10))
    page = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open?offset=2&limit=3", "alice"))
    assert (page["count"], page["offset"], page["limit"]) == (7, 2, 3)
    assert [e["rank"] for e in page["results"]] == [3, 4, 5]
    assert expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open?offset=9", "alice"))["results"] == []
    expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open?limit=0", "alice"), 400, "?limit=")


def test_csv_export(apps):
    world, board_app = apps
    world.add("open", "alice", metrics(0.8), model="c" * 64)
    world.add("open", "bob", metrics(0.6))
    world.add("open", "carol", metrics(0.99), published=False)
    world.add("open", "=cmd", metrics(0.1))  # a spreadsheet must not run it
    for path in (f"api/v1/leaderboards/{CHALLENGE}/open.csv", f"api/v1/leaderboards/{CHALLENGE}/open?format=csv"):
        status, kind, text = fetch(board_app, path, "alice")
        assert status == 200 and kind.startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["rank"], r["user"], r["Score"]) for r in rows] == [
            ("1", "alice", "0.8"),
            ("2", "bob", "0.6"),
            ("3", "'=cmd", "0.1"),
        ]
        assert [r["model_sha256"] for r in rows] == ["c" * 64, "", ""]
        assert "ground_truth_version" not in rows[0] and "gt-secret-v3" not in text
    status, _, text = fetch(board_app, f"api/v1/leaderboards/{CHALLENGE}/open.csv", "researcher")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert (
        rows[0]["user"] == "carol"
        and rows[0]["published"] == "False"
        and rows[0]["ground_truth_version"] == "gt-secret-v3"
    )
    assert fetch(board_app, f"api/v1/leaderboards/{CHALLENGE}/secret.csv", "alice")[0] == 404
    expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open?format=xml", "alice"), 400, "?format=")


def test_combined_leaderboard(apps):
    world, board_app = apps
    world.add("open", "alice", metrics(0.9))
    world.add("open", "bob", metrics(0.5))
    world.add("members", "bob", metrics(0.9))
    world.add("members", "alice", metrics(0.5))
    world.add("members", "carol", metrics(0.95))
    combined = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}?phases=open,members", "alice"))
    assert combined["phases"] == ["open", "members"]
    assert [(r["rank"], r["user"], r["mean_rank"], r["phase_ranks"]) for r in combined["results"]] == [
        (1, "alice", 2.0, {"open": 1, "members": 3}),
        (1, "bob", 2.0, {"open": 2, "members": 2}),
        (3, "carol", 1.0, {"open": None, "members": 1}),
    ]
    assert combined["results"][2]["notes"] == ["no ranked result in phase open"]


def test_bootstrap_intervals_and_stability(apps):
    world, board_app = apps
    strong = {f"c{i}": {"dice": 0.9 + i / 100} for i in range(6)}
    weak = {f"c{i}": {"dice": 0.3 + (i % 2) / 5} for i in range(6)}
    world.add("open", "alice", metrics(0.925, cases=strong))
    world.add("open", "bob", metrics(0.4, cases=weak))
    world.add("open", "carol", metrics(0.5))  # no per-case values: no interval
    board = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open", "bob"))
    assert board["bootstrap"]["computed"] is True and board["bootstrap"]["resamples"] == 1000
    by_user = {e["user"]: e for e in board["results"]}
    low, high = by_user["alice"]["score_interval"]
    assert low <= 0.925 <= high and by_user["alice"]["rank_stability"] == 1.0
    assert by_user["carol"]["score_interval"] is None
    again = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open", "alice"))
    assert [e["score_interval"] for e in again["results"]] == [e["score_interval"] for e in board["results"]]
    off = expect(board_app.call("GET", f"leaderboards/{CHALLENGE}/open?bootstrap=false", "bob"))
    assert off["bootstrap"]["computed"] is False and off["results"][0]["score_interval"] is None


def test_pages(apps):
    world, board_app = apps
    world.add("open", "alice", metrics(0.8))
    world.add("open", "bob", metrics(0.9), published=False)
    status, _, html = fetch(board_app, f"leaderboards/{CHALLENGE}/open", "alice")
    assert status == 200 and "alice" in html and "bob" not in html and 'class="sortable"' in html
    assert f'href="/services/challenges/challenges/{CHALLENGE}/submissions/' in html
    assert "Rank this view differently" not in html
    status, _, html = fetch(board_app, f"leaderboards/{CHALLENGE}/open", "researcher")
    assert "bob" in html and "only admins see it" in html and "rank this view differently" in html
    status, _, html = fetch(board_app, "", "datascientist")
    assert status == 200 and f"leaderboards/{CHALLENGE}/open" in html and "members" not in html
    assert fetch(board_app, f"leaderboards/{CHALLENGE}/secret", "alice")[0] == 404
    status, _, html = fetch(board_app, f"leaderboards/{CHALLENGE}", "alice")
    assert status == 200 and "Mean rank" in html


def test_new_published_and_removed_results_show_on_the_next_read(apps):
    world, board_app = apps
    path = f"leaderboards/{CHALLENGE}/open"
    world.add("open", "alice", metrics(0.5))
    bob = world.add("open", "bob", metrics(0.9), published=False)
    assert summary(expect(board_app.call("GET", path, "carol"))) == [(1, "alice", 0.5)]
    world.add("open", "carol", metrics(0.7))
    assert summary(expect(board_app.call("GET", path, "carol"))) == [(1, "carol", 0.7), (2, "alice", 0.5)]
    with Session(world.engine) as db:
        db.scalar(select(Evaluation).filter_by(submission_id=bob)).published = True
        db.commit()
    assert [e[1] for e in summary(expect(board_app.call("GET", path, "carol")))] == ["bob", "carol", "alice"]
    world.add("open", "bob", metrics(0.1), submission=bob)  # re-evaluated
    assert [e[1] for e in summary(expect(board_app.call("GET", path, "carol")))] == ["carol", "alice", "bob"]
    with Session(world.engine) as db:
        db.delete(db.get(Submission, bob))
        db.commit()
    assert [e[1] for e in summary(expect(board_app.call("GET", path, "carol")))] == ["carol", "alice"]


def test_a_phase_made_again_in_place_of_a_deleted_one_is_ranked_afresh(apps):
    world, board_app = apps
    path = f"leaderboards/{CHALLENGE}/secret"  # the newest phase: SQLite gives its id to the next one
    world.add("secret", "alice", metrics(0.5))
    assert summary(expect(board_app.call("GET", path, "researcher"))) == [(1, "alice", 0.5)]
    expect(world.challenges.call("DELETE", f"challenges/{CHALLENGE}/phases/secret", "researcher"), 204)
    body = {"slug": "secret", "title": "Secret again", "visibility": "hidden", "score_jsonpath": "aggregates.dice.mean"}
    expect(world.challenges.call("POST", f"challenges/{CHALLENGE}/phases", "researcher", body), 201)
    world.add("secret", "bob", metrics(0.3))  # and the evaluation its deleted one's id
    assert summary(expect(board_app.call("GET", path, "researcher"))) == [(1, "bob", 0.3)]


def test_a_large_board_that_becomes_small_enough_is_bootstrapped_from_every_metrics(apps, monkeypatch):
    monkeypatch.setattr(leaderboard, "BOOTSTRAP_LIMIT", 2)
    world, board_app = apps
    path = f"leaderboards/{CHALLENGE}/open"
    cases = {f"c{i}": {"dice": 0.5 + i / 50} for i in range(5)}
    alice, bob = (world.add("open", user, metrics(0.54, cases=cases)) for user in ("alice", "bob"))
    world.add("open", "carol", metrics(0.2, cases={f"c{i}": {"dice": 0.2} for i in range(5)}))
    large = expect(board_app.call("GET", path, "researcher"))  # ranked, too large to bootstrap: metrics dropped
    assert large["bootstrap"]["computed"] is False and large["results"][0]["score_interval"] is None
    with Session(world.engine) as db:
        db.delete(db.get(Submission, bob))
        db.commit()
    small = expect(board_app.call("GET", path, "researcher"))  # alice's metrics come back for the bootstrap
    assert small["bootstrap"]["computed"] is True and summary(small) == [(1, "alice", 0.54), (2, "carol", 0.2)]
    low, high = small["results"][0]["score_interval"]
    assert low < 0.54 < high and small["results"][0]["submission"] == alice


def read(app, path, user, etag=None):
    """The response to a GET of ``/services/leaderboard/<path>`` as ``user``, sending ``etag`` in If-None-Match."""
    return app.get(path, user, {"If-None-Match": etag} if etag else {})


@pytest.mark.parametrize("path", [f"api/v1/leaderboards/{CHALLENGE}/open", f"leaderboards/{CHALLENGE}/open",
                                  f"api/v1/leaderboards/{CHALLENGE}", f"leaderboards/{CHALLENGE}"])  # fmt: skip
def test_an_unchanged_leaderboard_is_304_and_a_changed_one_has_a_new_etag(apps, path):
    world, board_app = apps
    world.add("open", "alice", metrics(0.5))
    first = read(board_app, path, "alice")
    assert first.code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    unchanged = read(board_app, path, "alice", first.headers["Etag"])
    assert unchanged.code == 304 and unchanged.body == b""
    world.add("open", "bob", metrics(0.9))
    changed = read(board_app, path, "alice", first.headers["Etag"])
    assert changed.code == 200 and changed.headers["Etag"] != first.headers["Etag"] and b"bob" in changed.body
    assert read(board_app, path, "alice", changed.headers["Etag"]).code == 304


def test_each_viewer_gets_their_own_view_and_etag(apps):
    world, board_app = apps
    world.add("open", "alice", metrics(0.5))
    world.add("open", "bob", metrics(0.9), published=False)  # admins only
    path = f"api/v1/leaderboards/{CHALLENGE}/open"
    admin = read(board_app, path, "researcher")
    participant = read(board_app, path, "alice", admin.headers["Etag"])  # an ETag of another view
    assert participant.code == 200 and b"bob" in admin.body and b"bob" not in participant.body
    assert participant.headers["Etag"] != admin.headers["Etag"]
    assert read(board_app, path, "researcher", participant.headers["Etag"]).code == 200
    for page in (f"leaderboards/{CHALLENGE}/open", f"leaderboards/{CHALLENGE}"):  # pages name their user
        assert b'<span class="me">bob</span>' in read(board_app, page, "bob").body
        assert b'<span class="me">alice</span>' in read(board_app, page, "alice").body


def test_a_change_shows_on_the_next_read_whichever_process_answers(apps, database_url):
    world, first = apps
    path = f"leaderboards/{CHALLENGE}/open"
    world.add("open", "alice", metrics(0.5))
    with service_app("leaderboard", database_url) as second:  # another process: a cache of its own
        for app in (first, second):
            assert summary(expect(app.call("GET", path, "carol"))) == [(1, "alice", 0.5)]
        expect(world.challenges.call("PATCH", f"challenges/{CHALLENGE}/phases/open", "researcher",
                                     {"score_ascending": True}))  # fmt: skip
        world.add("open", "bob", metrics(0.9))
        for app in (second, first):
            assert summary(expect(app.call("GET", path, "carol"))) == [(1, "alice", 0.5), (2, "bob", 0.9)]


def sent(app, path, user, headers):
    """The response to a GET of ``/services/leaderboard/<path>`` as ``user`` with ``headers``, as the
    service sent it (a compressed body stays compressed)."""
    request = HTTPRequest(
        app.get_url(f"/services/leaderboard/{path}"),
        headers={"X-Test-User": user, **headers},
        decompress_response=False,
    )
    try:
        return app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        return e.response


@pytest.mark.parametrize("path", [f"api/v1/leaderboards/{CHALLENGE}/open", f"leaderboards/{CHALLENGE}/open"])
def test_a_leaderboard_goes_gzip_compressed_to_whoever_accepts_it_compressed_once_per_version(apps, path, monkeypatch):
    compressed, compress = [], gzip.compress
    monkeypatch.setattr(base.gzip, "compress", lambda data, **kw: compressed.append(data) or compress(data, **kw))
    world, board_app = apps
    for user in PARTICIPANTS:
        world.add("open", user, metrics(0.5))
    plain = sent(board_app, path, "alice", {"Accept-Encoding": "identity"})
    zipped = sent(board_app, path, "alice", {"Accept-Encoding": "br, gzip;q=0.8"})
    assert plain.code == zipped.code == 200 and len(compressed) == 1  # both kept answers made at once
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers["Vary"] == zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.body) == plain.body and len(zipped.body) < len(plain.body)
    assert zipped.headers["Etag"] == "W/" + plain.headers["Etag"]  # the same content, encoded
    refused = sent(board_app, path, "alice", {"Accept-Encoding": "gzip;q=0, deflate"})
    assert "Content-Encoding" not in refused.headers and refused.body == plain.body
    for etag in (plain.headers["Etag"], zipped.headers["Etag"]):  # either tag: 304 in either encoding
        for encoding in ("gzip", "identity"):
            unchanged = sent(board_app, path, "alice", {"Accept-Encoding": encoding, "If-None-Match": etag})
            assert unchanged.code == 304 and unchanged.body == b"" and "Content-Encoding" not in unchanged.headers
    assert len(compressed) == 1
    world.add("open", "bob", metrics(0.9))
    changed = sent(board_app, path, "alice", {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["Etag"]})
    assert changed.code == 200 and changed.headers["Etag"] != zipped.headers["Etag"] and len(compressed) == 2
    assert gzip.decompress(changed.body).count(b"bob") > plain.body.count(b"bob")


def test_a_page_shows_new_unread_notifications_while_its_results_are_the_same(apps):
    world, board_app = apps
    world.add("open", "alice", metrics(0.5))
    path = f"leaderboards/{CHALLENGE}/open"
    first = read(board_app, path, "alice")
    assert first.code == 200 and b'class="count"' not in first.body
    with Session(world.engine) as db:
        notify(db, NotificationKind.TEAM_INVITATION, ["alice"], subject="Join my team")
        db.commit()
    told = read(board_app, path, "alice", first.headers["Etag"])
    assert told.code == 200 and b'<span class="count">1</span>' in told.body
    assert read(board_app, path, "alice", told.headers["Etag"]).code == 304
    assert read(board_app, path, "bob", read(board_app, path, "bob").headers["Etag"]).code == 304  # not bob's


def test_a_page_is_rendered_once_for_every_viewer_who_sees_the_same_and_names_each(apps, monkeypatch):
    rendered, render_string = [], LeaderboardPage.render_string
    monkeypatch.setattr(
        LeaderboardPage,
        "render_string",
        lambda self, name, **kw: rendered.append(name) or render_string(self, name, **kw),
    )
    world, board_app = apps
    world.add("open", "alice", metrics(0.5))
    path = f"leaderboards/{CHALLENGE}/open"
    pages = {user: read(board_app, path, user).body.decode() for user in ("alice", "bob", "carol")}
    assert rendered.count("leaderboard.html") == 1 and rendered.count("kept_page.html") == 3
    for user, html in pages.items():
        assert f'<span class="me">{user}</span>' in html and "<title>Open leaderboard · gc-hub</title>" in html
        assert html.replace(f'<span class="me">{user}</span>', "") == pages["alice"].replace(
            '<span class="me">alice</span>', ""
        )
    assert "rank this view differently" in read(board_app, path, "researcher").body.decode()  # an admin's own
    assert rendered.count("leaderboard.html") == 2
    world.add("open", "bob", metrics(0.9))
    assert "bob" in read(board_app, path, "carol").body.decode().split("<main>")[1]
    assert rendered.count("leaderboard.html") == 3
