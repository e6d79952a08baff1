"""What gc_extension shows (challenges, live status, progress, leaderboard DataFrames) and how it
moves files (chunked uploads, downloads that resume), against the fake services of
test_gc_extension."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from test_gc_extension import PHASE, SUBMISSION, client, fake, magics  # noqa: F401 (fixtures)

from gc_extension import client as client_module
from gc_extension import leaderboard, rendering
from gc_extension.progress import Display, Progress, bar_text
from gc_extension.results import AlgorithmJob, Build, Challenge, Leaderboard, Phase, Submission
from services.web.submissions import EVALUATION_FAILURE

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def phase(**changes):
    return Phase(**{**Phase.from_json(PHASE).__dict__, **changes})


def test_challenges_show_roles_deadlines_and_submissions_left():
    joined = Challenge(
        "demo",
        "Demo",
        "",
        ("participant",),
        None,
        (
            phase(closes_at=NOW + timedelta(days=3), submissions_left=4),
            phase(slug="final", parent="predictions", opens_at=NOW + timedelta(hours=5)),
        ),
    )
    pending = Challenge("lungs", "Lungs", "", (), "pending", ())
    other = Challenge(
        "brains", "Brains", "", (), None, (phase(challenge="brains", closes_at=NOW - timedelta(days=10)),)
    )
    text = rendering.challenges_text([joined, pending, other], now=NOW)
    assert text.splitlines() == [
        "demo — Demo [participant]",
        "  demo/predictions                   predictions open, closes 2026-06-04 12:00 UTC (in 3 days);"
        " 4 of 5 submissions left per 1 day(s)",
        "  demo/final                         predictions opens 2026-06-01 17:00 UTC (in 5 hours);"
        " 5 submissions left per 1 day(s); after predictions",
        "lungs — Lungs [join request pending]",
        "  (no phases you may see yet)",
        "brains — Brains [not joined: %gc_join brains]",
        "  brains/predictions                 predictions closed 2026-05-22 12:00 UTC (10 days ago);"
        " 5 submissions left per 1 day(s)",
    ]


def test_submission_status_shows_cases_limits_failed_jobs_with_logs_and_results():
    data = {
        **SUBMISSION,
        "kind": "algorithm",
        "algorithm": "otsu",
        "status": "succeeded",
        "cases": {"total": 3, "done": 3},
        "jobs": [
            {"id": 1, "case": 10, "status": "succeeded", "error_message": ""},
            {
                "id": 2,
                "case": 11,
                "status": "failed",
                "error_message": "exit code 1",
                "stderr_tail": "Traceback\nValueError: no image",
            },
        ],
        "evaluations": [
            {
                "id": 5,
                "status": "succeeded",
                "published": True,
                "error_message": "",
                "metrics": {"aggregates": {"dice": {"mean": 0.91234}, "missing": []}},
            }
        ],
    }
    assert rendering.submission_text(Submission.from_json(data)).splitlines() == [
        "Submission 7 to demo/predictions (algorithm otsu): succeeded",
        "  cases: 3 of 3 done",
        "  jobs: 1 failed, 1 succeeded",
        "  limits: 1.0 CPU, 1024 MB memory, 300 s, no GPU, network none",
        "  job 2 (case 11): failed — exit code 1",
        "  logs of job 2:",
        "    Traceback",
        "    ValueError: no image",
        "  evaluation 5: succeeded",
        "  result: dice=0.9123, missing=[]",
    ]


def failed_evaluation(message, **logs):
    """A predictions submission whose evaluation failed: ``logs`` as the services send them
    (the tails only to the challenge's admins)."""
    evaluation = {"id": 5, "status": "failed", "published": False, "metrics": None, "error_message": message}
    return Submission.from_json({**SUBMISSION, "status": "failed", "evaluations": [{**evaluation, **logs}]})


def test_the_challenges_admins_see_a_failed_evaluations_logs_and_others_what_to_do():
    worker = "the container exited with code 1; the end of its stderr says why"
    admin = failed_evaluation(worker, stdout_tail="scored 2 cases\n", stderr_tail="Traceback\nKeyError: 'case-3'\n")
    assert rendering.submission_text(admin).splitlines()[-4:] == [
        f"  evaluation 5: failed — {worker}",
        "  logs of evaluation 5:",
        "    Traceback",
        "    KeyError: 'case-3'",
    ]
    quiet = failed_evaluation(worker, stdout_tail="missing case-3\n", stderr_tail="")
    assert rendering.submission_text(quiet).splitlines()[-1] == "    missing case-3"  # stdout when stderr is empty
    participant = failed_evaluation(EVALUATION_FAILURE)
    assert rendering.submission_text(participant).splitlines()[-1] == f"  evaluation 5: failed — {EVALUATION_FAILURE}"


def test_an_admin_follows_anyones_submission_by_its_id(magics, fake, capsys):  # noqa: F811
    fake.route("GET", "challenges", "challenges", (200, {"count": 1, "results": [{"slug": "demo"}]}))
    detail = {"slug": "demo", "title": "Demo", "my_roles": ["admin"], "phases": [PHASE]}
    fake.route("GET", "challenges", "challenges/demo", (200, detail))
    fake.route("GET", "challenges", "challenges/demo/phases/predictions", (200, PHASE))
    fake.route(
        "GET", "challenges", "challenges/demo/phases/predictions/submissions", (200, {"count": 0, "results": []})
    )
    evaluation = {"id": 5, "status": "failed", "published": False, "metrics": None, "error_message": "exit code 2",
                  "stdout_tail": "", "stderr_tail": "ValueError: empty zip"}  # fmt: skip
    someones = {**SUBMISSION, "id": 12, "creator": "datascientist", "status": "failed", "evaluations": [evaluation]}
    fake.route("GET", "challenges", "challenges/demo/phases/predictions/submissions/12", (200, someones))
    magics.run_line_magic("gc_status", "12 --no-wait")
    err = capsys.readouterr().err
    assert "Submission 12 to demo/predictions (predictions masks.zip): failed" in err
    assert "logs of evaluation 5:\n    ValueError: empty zip" in err


def test_unpublished_results_say_so():
    data = {
        **SUBMISSION,
        "status": "succeeded",
        "evaluations": [{"id": 5, "status": "succeeded", "published": False, "metrics": None}],
    }
    assert "evaluation 5: succeeded (result not published yet)" in rendering.submission_text(Submission.from_json(data))


def test_job_status_shows_its_place_in_the_queue_then_its_logs():
    queued = AlgorithmJob(
        3,
        "otsu",
        "queued",
        queue_position=0,
        limits={"cpus": 2.0, "memory_mb": 4096, "time_limit_s": 3600, "gpu": True},
    )
    assert rendering.job_text(queued).splitlines() == [
        "Job 3 of otsu: queued (position 1 in the queue)",
        "  limits: 2.0 CPU, 4096 MB memory, 3600 s, GPU, network none",
    ]
    done = AlgorithmJob(3, "otsu", "failed", error_message="exit code 2", stdout_tail="start\n", stderr_tail="boom\n")
    assert rendering.job_text(done).splitlines()[2:] == [
        "  error: exit code 2",
        "  stdout:",
        "    start",
        "  stderr:",
        "    boom",
    ]


def test_build_status_in_words():
    assert rendering.build_text(Build(4, "otsu", "importing")) == "Build 4 of algorithm otsu: building"
    assert rendering.build_text(Build(4, "otsu", "succeeded", digest="sha256:" + "a" * 64)) == (
        "Build 4 of algorithm otsu: built (sha256:aaaaaaaaaaaa)"
    )
    failed = rendering.build_text(Build(4, "otsu", "failed", error_message="predict.py does not compile:\nSyntaxError"))
    assert failed.splitlines() == [
        "Build 4 of algorithm otsu: failed",
        "    predict.py does not compile:",
        "    SyntaxError",
    ]


class Screen:
    """A Display's output outside a notebook, with a clock that only moves when told."""

    def __init__(self):
        self.now = 0.0
        self.display = Display(clock=lambda: self.now, notebook=False)


def test_progress_redraws_in_place_and_at_most_every_fifth_of_a_second(capsys):
    screen = Screen()
    with Progress("uploading a.mha", 2_000_000, display=screen.display) as bar:
        bar.update(500_000)  # too soon after the first draw: not shown
        screen.now = 1.0
        bar.update(500_000)
    err = capsys.readouterr().err
    assert err.count("\r") == 3 and err.endswith("\n")
    assert err.split("\r")[2] == bar_text("uploading a.mha", 1_000_000, 2_000_000)
    assert bar_text("x", 1_000_000, 2_000_000, width=4) == "x [##  ]  50% 1.0 MB of 2.0 MB"
    assert bar_text("x", 2, 3, unit="images", width=3) == "x [## ]  67% 2 of 3 images"


def board():
    columns = (
        {"path": "aggregates.dice.mean", "title": "Dice", "ascending": False},
        {"path": "aggregates.hd.mean", "title": "Hausdorff", "ascending": True},
    )
    entries = [
        {
            "rank": 1,
            "user": "ann",
            "submission": 9,
            "score": 0.9,
            "created_at": "2026-01-02T00:00:00+00:00",
            "columns": {"aggregates.dice.mean": 0.9, "aggregates.hd.mean": 3.0},
            "notes": [],
        },
        {
            "rank": 2,
            "user": "bob",
            "submission": 4,
            "score": 0.8,
            "created_at": "2026-01-01T00:00:00+00:00",
            "columns": {"aggregates.dice.mean": 0.8, "aggregates.hd.mean": 2.0},
            "notes": ["late"],
        },
    ]
    return Leaderboard("demo", "final", "Final", columns, tuple(entries))


def test_leaderboard_as_a_dataframe_in_rank_order():
    frame = leaderboard.to_dataframe(board())
    assert list(frame.columns) == ["rank", "user", "submission", "Dice", "Hausdorff", "created_at", "notes"]
    assert frame["user"].tolist() == ["ann", "bob"] and frame["Dice"].tolist() == [0.9, 0.8]
    assert frame["notes"].tolist() == ["", "late"] and str(frame["created_at"].dt.tz) == "UTC"
    assert frame.attrs == {"challenge": "demo", "phase": "final", "title": "Final"}
    empty = leaderboard.to_dataframe(Leaderboard("demo", "final", "Final", board().columns, ()))
    assert empty.empty and "Dice" in empty.columns


def test_leaderboard_plot_draws_a_bar_per_entry():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    axes = leaderboard.plot(leaderboard.to_dataframe(board()), board())
    assert [bar.get_height() for bar in axes.patches] == [0.9, 0.8] and axes.get_ylabel() == "Dice"


def test_uploads_go_in_chunks_with_content_ranges(client, fake, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(client_module, "CHUNK_BYTES", 4)
    fake.route("POST", "archives", "upload-sessions", (201, {"id": 3}))
    fake.route("POST", "archives", "upload-sessions/3/files", (201, {"id": 4}))
    fake.route("PUT", "archives", "upload-sessions/3/files/4", (200, {"id": 4}))
    (tmp_path / "model.pt").write_bytes(b"0123456789")
    [uploaded] = client.upload([tmp_path / "model.pt"])
    assert (uploaded.session, uploaded.file, uploaded.size) == (3, 4, 10)
    puts = [(headers["Content-Range"], body) for method, _path, headers, body in fake.requests if method == "PUT"]
    assert puts == [("bytes 0-3/10", b"0123"), ("bytes 4-7/10", b"4567"), ("bytes 8-9/10", b"89")]
    assert all(headers["Authorization"] == "token secret" for _m, _p, headers, _b in fake.requests)


def test_training_data_downloads_each_image_once_and_lists_the_cases(client, fake, tmp_path):  # noqa: F811
    fake.route(
        "GET", "challenges", "challenges/demo/phases/predictions/training-data", (200, {"archive": "demo-cases"})
    )
    fake.route(
        "GET",
        "archives",
        "archives/demo-cases/items",
        (200, {"count": 1, "results": [{"id": 1, "values": {"ct-image": {"image": 5}, "age": 63}}]}),
    )
    scan = b"MHA-bytes"
    fake.route(
        "GET",
        "archives",
        "images/5/file",
        lambda headers, body: (200, scan, {"Content-Disposition": 'attachment; filename="case-1.mha"'}),
    )
    saved = client.download("demo", "predictions", tmp_path / "data")
    assert saved == [tmp_path / "data/ct-image/case-1.mha"] and saved[0].read_bytes() == scan
    listing = (tmp_path / "data/cases.json").read_text()
    assert '"ct-image": "ct-image/case-1.mha"' in listing and '"age": 63' in listing
    client.download("demo", "predictions", tmp_path / "data")  # the file is there: not written again
    assert not list((tmp_path / "data/ct-image").glob("*.part"))


def test_a_submission_is_followed_until_it_is_evaluated(magics, fake, capsys):  # noqa: F811
    fake.route("GET", "challenges", "challenges", (200, {"count": 1, "results": [{"slug": "demo"}]}))
    fake.route(
        "GET",
        "challenges",
        "challenges/demo",
        (200, {"slug": "demo", "title": "Demo", "my_roles": ["participant"], "phases": [PHASE]}),
    )
    fake.route("GET", "challenges", "challenges/demo/phases/predictions", (200, PHASE))
    fake.route(
        "GET",
        "challenges",
        "challenges/demo/phases/predictions/submissions",
        (200, {"count": 1, "results": [SUBMISSION]}),
    )
    states = iter(["queued", "executing", "succeeded"])
    fake.route(
        "GET",
        "challenges",
        "challenges/demo/phases/predictions/submissions/7",
        lambda headers, body: (200, {**SUBMISSION, "status": next(states, "succeeded")}, {}),
    )
    magics.run_line_magic("gc_status", "")
    err = capsys.readouterr().err
    assert "Submission 7 to demo/predictions (predictions masks.zip): succeeded" in err
    assert "Traceback" not in err


def test_the_cell_form_builds_the_cell_as_the_entrypoint_and_follows_the_build(magics, fake, capsys):  # noqa: F811
    fake.route(
        "GET", "challenges", "algorithms/otsu", (200, {"slug": "otsu", "inputs": ["ct-image"], "outputs": ["mask"]})
    )
    fake.route("POST", "archives", "upload-sessions", (201, {"id": 3}))
    fake.route("POST", "archives", "upload-sessions/3/files", (201, {"id": 4}))
    fake.route("PUT", "archives", "upload-sessions/3/files/4", (200, {"id": 4}))
    fake.route(
        "POST", "challenges", "algorithms/otsu/builds", (202, {"id": 9, "algorithm": "otsu", "status": "pending"})
    )
    states = iter(["importing", "succeeded"])
    fake.route(
        "GET",
        "challenges",
        "builds/9",
        lambda headers, body: (
            200,
            {"id": 9, "algorithm": "otsu", "status": next(states, "succeeded"), "digest": "sha256:" + "b" * 64},
            {},
        ),
    )
    magics.run_cell_magic("gc_algorithm", "build otsu", "print('segmenting')\n")
    out, err = capsys.readouterr()
    assert "Algorithm otsu has its new image; submit it with %gc_submit <phase> --algorithm otsu." in out
    assert "Build 9 of algorithm otsu: built (sha256:bbbbbbbbbbbb)" in err
    [(_m, _p, _h, sent)] = [r for r in fake.requests if r[0] == "PUT"]
    assert sent == b"print('segmenting')\n"
    [(_m, _p, _h, build)] = [r for r in fake.requests if r[1].endswith("/builds")]
    assert json.loads(build) == {"upload_session": 3, "files": [4], "entrypoint": "predict.py"}
    announced = [json.loads(r[3]) for r in fake.requests if r[1].endswith("/files") and r[0] == "POST"]
    assert announced == [{"filename": "predict.py", "size": 20}]


def test_training_data_of_a_challenge_not_joined_says_to_join(magics, fake, capsys):  # noqa: F811
    fake.route(
        "GET",
        "challenges",
        "challenges/demo",
        (200, {"slug": "demo", "title": "Demo", "my_roles": [], "phases": [PHASE]}),
    )
    magics.run_line_magic("gc_download", "demo")
    assert capsys.readouterr().err.strip() == (
        "NotFound: Challenge 'demo' has no training data that you may download."
        " Join it first (%gc_join), or ask its admins where the training data is."
    )


def test_a_folder_that_cannot_be_written_is_one_line_too(magics, fake, capsys, tmp_path):  # noqa: F811
    fake.route(
        "GET", "challenges", "challenges/demo/phases/predictions/training-data", (200, {"archive": "demo-cases"})
    )
    fake.route(
        "GET",
        "archives",
        "archives/demo-cases/items",
        (200, {"count": 1, "results": [{"id": 1, "values": {"ct-image": {"image": 5}}}]}),
    )
    fake.route(
        "GET",
        "archives",
        "images/5/file",
        lambda headers, body: (200, b"scan", {"Content-Disposition": 'attachment; filename="case-1.mha"'}),
    )
    (tmp_path / "taken").write_text("a file, not a folder")
    magics.run_line_magic("gc_download", f"demo --phase predictions --to {tmp_path}/taken")
    error = [line for line in capsys.readouterr().err.split("\n") if line.strip() and "%" not in line][-1]
    assert error.startswith(("FileExistsError: ", "NotADirectoryError: "))
    assert error.endswith("Check the path and the free space, then run this again.")


def test_an_empty_leaderboard_says_so_in_a_sentence(magics, fake, capsys):  # noqa: F811
    empty = {
        "challenge": "demo",
        "phase": "predictions",
        "title": "Predictions",
        "scoring": {"columns": [{"path": "aggregates.dice.mean", "title": "Score", "ascending": False}]},
        "count": 0,
        "results": [],
    }
    fake.route("GET", "leaderboard", "leaderboards/demo/predictions", (200, empty))
    fake.route("GET", "challenges", "challenges/demo/phases/predictions", (200, PHASE))
    assert magics.run_line_magic("gc_leaderboard", "demo/predictions") is None
    assert capsys.readouterr().out == (
        "The leaderboard of Predictions (demo/predictions) has no results yet: none has been evaluated and"
        " published. Submit with %gc_submit demo/predictions …, follow it with %gc_status, and look again.\n"
    )
