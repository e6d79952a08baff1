"""Leaderboard speed: ranking, the leaderboard API under load, and a submission's way to its row.

    .venv/bin/python benchmarks/leaderboard.py [--results 100000] [--api-results 10000] [--seconds 10]
        [--submissions 3] [--participants 1000] [--deadline-seconds 30] [--connections 64]
        [--parts rank,api,submit,deadline] [--readers browsers,plain]

1. Ranking: ``rank`` of 100,000 synthetic results of 5,000 users with 3 metrics (a score and two
   extra columns, one lower-is-better) by the mean of ranks, in-process; the median of 5 runs
   (the heaviest method; each display mode and a page of entries are printed too).
2. API: a real hub; 10,000 evaluated, published submissions (10 cases each) are written into
   one public phase; ``wrk -t2 -c32`` sends a data scientist's hub token to the leaderboard
   service for the first page (``?limit=100``), ranked on every request: on the service's own
   port, then through the hub's proxy.
3. Submission: a researcher sets up a predictions phase with the example evaluation image and
   ground truth; a data scientist uploads a zip of predictions through an upload session, submits
   it (POST …/submissions of the challenges service) and polls the leaderboard until the row is
   there. The baseline is a raw ``docker run`` of the same evaluation image on the same files
   with the sandbox's flags. ``submit_overhead_s`` = median(upload → row) − median(docker run).
4. Deadline: the same predictions phase holds the results of 1,000 participants; 64 connections
   (``wrk``, half on the leaderboard's page, half on its API, through the hub's proxy) read it
   over and over while the data scientist keeps submitting and the worker keeps evaluating; after
   each evaluation the next read must show its result (after 3 s of the same reads unmeasured, so
   that the connections are open, as they are at a deadline). p50, p99 and errors of each, and whether
   every new result showed on the next read. Twice (``--readers``): first the readers poll as
   browsers do (they accept gzip and send the last ETag in If-None-Match: polling.lua), then
   plainly (neither), as the first version of this benchmark did. The sizes of both answers too.

Last line: ``rank_100k_s=<x> submit_overhead_s=<y> leaderboard_plain_p99_ms=<z>
leaderboard_p99_ms=<the larger p99 of the page and the API, polled as browsers do>``.
"""

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import SimpleITK as sitk
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from api import wrk, wrk_command, wrk_figures
from hubtools import running_hub

from services.core.database import make_engine
from services.core.orm import Evaluation, JobStatus, Phase, Submission, results_changed
from services.ranking import ALL, BEST, MEAN_RANK, MOST_RECENT, Column, Result, Scoring, rank

EVALUATION_IMAGE = "gc-hub/example-evaluation:latest"
COLUMNS = (Column("aggregates.dice.mean", "Dice"), Column("aggregates.hd.mean", "HD", ascending=True))
SCORING = Scoring("aggregates.score", False, COLUMNS, MEAN_RANK, ALL)


def synthetic_metrics(rng, cases=0):
    dice = rng.random()
    case = {f"case-{c}": {"dice": min(1.0, max(0.0, dice + rng.gauss(0, 0.05)))} for c in range(cases)}
    return {
        "case": case,
        "aggregates": {"score": rng.random(), "dice": {"mean": dice}, "hd": {"mean": rng.random() * 20}},
    }


def time_ranking(count, runs=5):
    """The median seconds of ``rank`` over ``count`` results with 3 metrics (mean of ranks)."""
    rng = random.Random(0)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    results = [Result(i, f"user{i % 5000}", start + timedelta(seconds=i), synthetic_metrics(rng)) for i in range(count)]
    timings = {}
    for display in (ALL, BEST, MOST_RECENT):
        scoring = Scoring(SCORING.score_path, False, COLUMNS, MEAN_RANK, display)
        seconds = []
        for _ in range(runs):
            began = time.perf_counter()
            board = rank(results, scoring)
            seconds.append(time.perf_counter() - began)
        timings[display] = statistics.median(seconds)
        began = time.perf_counter()
        board[:100]
        page = time.perf_counter() - began
        print(
            f"rank {count:,} results, mean-rank, display {display:<11} median {timings[display]:.3f} s"
            f"  ({len(board):,} entries; a page of 100 entries {page * 1000:.1f} ms)",
            flush=True,
        )
    return timings[ALL]


def seed_phase(database_url, slug, phase_slug, count, cases=10, users=500):
    """``count`` published, succeeded evaluations of as many submissions of ``users`` users in one phase."""
    rng = random.Random(1)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with Session(make_engine(database_url)) as db:
        phase = db.scalar(select(Phase).where(Phase.slug == phase_slug, Phase.challenge.has(slug=slug)))
        first = (db.scalar(select(func.max(Submission.id))) or 0) + 1
        db.execute(insert(Submission), [
            {"id": first + i, "phase_id": phase.id, "creator": f"user{i % users}", "predictions_path": "p.zip",
             "created_at": start + timedelta(seconds=i)} for i in range(count)
        ])  # fmt: skip
        db.execute(insert(Evaluation), [
            {"submission_id": first + i, "status": JobStatus.SUCCEEDED, "published": True, "completed_at": start,
             "metrics": synthetic_metrics(rng, cases), "method_digest": "sha256:" + "a" * 64,
             "ground_truth_version": "v1"} for i in range(count)
        ])  # fmt: skip
        results_changed(db, phase.id)  # bulk inserts bypass the ORM's own bookkeeping
        db.commit()


class Client:
    """One user's calls to the services through the hub's proxy, with a hub token."""

    def __init__(self, hub, name):
        self.hub, self.token = hub, hub.login(name).new_token()
        self.headers = {"Authorization": f"token {self.token}"}

    def __call__(self, method, service, path, expect=None, **kwargs):
        r = requests.request(method, f"{self.hub.url}/services/{service}/api/v1/{path}", headers=self.headers, **kwargs)
        if expect is not None and r.status_code != expect:
            raise RuntimeError(f"{method} {service} {path}: {r.status_code} {r.text}")
        return r

    def upload(self, path):
        """An upload session holding the file at ``path``: (session, file) ids."""
        session = self("POST", "archives", "upload-sessions", 201, json={}).json()["id"]
        body = {"filename": path.name, "size": path.stat().st_size}
        file = self("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()["id"]
        self("PUT", "archives", f"upload-sessions/{session}/files/{file}", 200, data=path.read_bytes())
        return session, file


def api_latency(hub, count, seconds):
    """req/s, p50, p99 (ms) and errors of the first page of a phase holding ``count`` results."""
    researcher = Client(hub, "researcher")
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    researcher("POST", "challenges", "challenges", 201, json={"slug": slug, "title": "Benchmark"})
    phase = {"slug": "final", "title": "Final", "visibility": "public", "score_jsonpath": "aggregates.score",
             "scoring_method": "mean-rank", "extra_results_columns": [
                 {"path": c.path, "title": c.title, "ascending": c.ascending} for c in COLUMNS]}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{slug}/phases", 201, json=phase)
    seed_phase(hub.settings.database_url, slug, "final", count)
    token = Client(hub, "datascientist").token
    path = f"services/leaderboard/api/v1/leaderboards/{slug}/final?limit=100"
    url = f"http://127.0.0.1:{hub.settings.service_port(2)}/{path}"
    began = time.perf_counter()
    r = requests.get(url, headers={"Authorization": f"token {token}"})
    cold = time.perf_counter() - began
    r.raise_for_status()
    assert r.json()["count"] == count, r.json()["count"]
    first_read = f"first read (ranked from the database) {cold * 1000:.0f} ms"
    print(f"leaderboard API, {count:,} results, first page of 100 ({len(r.content):,} bytes): {first_read}", flush=True)
    routes = {"the service's port": url, "through the hub's proxy": f"http://127.0.0.1:{hub.settings.port}/{path}"}
    figures = {}
    for route, address in routes.items():
        wrk(address, token, 2)  # warm-up
        figures[route] = wrk(address, token, seconds)
        rps, p50, p99, errors = figures[route]
        line = f"{rps:.1f} req/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  errors {errors}"
        print(f"  under load, {route}: {line}", flush=True)
    deadline = time.monotonic() + 120  # let the service answer what wrk left queued
    while requests.get(url, headers={"Authorization": f"token {token}"}).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the leaderboard service did not recover after the load")
        time.sleep(1)
    return figures["the service's port"]


def masks(folder, count=3, seed=0):
    """``{case: path}`` of small segmentations (the ground truth, and predictions that match it)."""
    paths = {}
    for case in range(count):
        blob = sitk.GaussianSource(sitk.sitkFloat32, [32, 32, 16], [4, 5, 3], [10 + case * 4, 16, 8], 900)
        mask = sitk.Cast(blob > 300 + seed, sitk.sitkUInt8)
        paths[f"case-{case}"] = folder / f"case-{case}.mha"
        sitk.WriteImage(mask, str(paths[f"case-{case}"]), True)
    return paths


def zipped(paths, target):
    with zipfile.ZipFile(target, "w") as archive:
        for path in paths.values():
            archive.write(path, path.name)
    return target


def raw_docker_run(folder, predictions, truth):
    """Seconds of one sandboxed ``docker run`` of the evaluation image on the extracted predictions."""
    run = Path(tempfile.mkdtemp(dir=folder))
    (run / "input").mkdir()
    (run / "output").mkdir()
    (run / "output").chmod(0o777)
    with zipfile.ZipFile(predictions) as archive:
        archive.extractall(run / "input")
    command = [
        "docker", "run", "--rm", "--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--read-only", "--tmpfs", "/tmp", "--cpus", "1", "--memory", "1g", "--memory-swap", "1g",
        "--pids-limit", "64", "-e", "OMP_NUM_THREADS=1", "-e", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1",
        "-v", f"{run / 'input'}:/input:ro", "-v", f"{truth}:/opt/ml/input/data/ground_truth:ro",
        "-v", f"{run / 'output'}:/output", EVALUATION_IMAGE,
    ]  # fmt: skip
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - began
    assert (run / "output" / "metrics.json").exists()
    return seconds


def predictions_challenge(hub, folder):
    """A public predictions phase evaluated by the example evaluation image against uploaded ground
    truth, that the data scientist joined: ``(slug, researcher, participant, predictions zip, truth folder)``."""
    researcher, participant = Client(hub, "researcher"), Client(hub, "datascientist")
    slug = f"bench-submit-{uuid.uuid4().hex[:6]}"
    researcher("POST", "challenges", "challenges", 201, json={"slug": slug, "title": "Submission benchmark"})
    phase = {"slug": "predictions", "title": "Predictions", "visibility": "public", "method_image": EVALUATION_IMAGE,
             "cpu_limit": 1, "memory_limit_mb": 1024, "time_limit_s": 300}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{slug}/phases", 201, json=phase)
    truth_dir = folder / f"truth-{slug}"
    truth_dir.mkdir()
    truth = masks(truth_dir)
    session, file = researcher.upload(zipped(truth, folder / f"truth-{slug}.zip"))
    body = {"upload_session": session, "file": file}
    researcher("POST", "challenges", f"challenges/{slug}/phases/predictions/ground-truth", 202, json=body)
    deadline = time.monotonic() + 120  # a worker unpacks it
    while not researcher("GET", "challenges", f"challenges/{slug}/phases/predictions", 200).json()["ground_truth_path"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the ground truth was not unpacked within 120 s")
        time.sleep(0.5)
    request = participant("POST", "challenges", f"challenges/{slug}/join", 201, json={"message": "benchmark"}).json()
    researcher(
        "POST", "challenges", f"challenges/{slug}/join-requests/{request['id']}", 200, json={"decision": "accept"}
    )
    predictions_dir = folder / f"predictions-{slug}"
    predictions_dir.mkdir()
    predictions = zipped(masks(predictions_dir, seed=50), folder / f"predictions-{slug}.zip")
    return slug, researcher, participant, predictions, truth_dir


def submit(participant, slug, predictions):
    """The id of a new submission of ``predictions`` (uploaded first) to the phase."""
    session, file = participant.upload(predictions)
    body = {"upload_session": session, "file": file}
    return participant(
        "POST", "challenges", f"challenges/{slug}/phases/predictions/submissions", 201, json=body
    ).json()["id"]


def submission_latency(hub, folder, runs):
    """Median seconds of upload → leaderboard row, and of a raw docker run of the same evaluation."""
    slug, _, participant, predictions, truth_dir = predictions_challenge(hub, folder)
    board = f"leaderboards/{slug}/predictions?bootstrap=false"
    hub_timings, raw_timings = [], []
    for _ in range(runs + 1):  # the first of each is a warm-up
        shown = participant("GET", "leaderboard", board, 200).json()["count"]
        began = time.perf_counter()
        submission = submit(participant, slug, predictions)
        while participant("GET", "leaderboard", board, 200).json()["count"] == shown:
            if time.perf_counter() - began > 300:
                raise RuntimeError(f"submission {submission} did not reach the leaderboard in 300 s")
            time.sleep(0.05)
        hub_timings.append(time.perf_counter() - began)
        raw_timings.append(raw_docker_run(folder, predictions, truth_dir))
    hub_median, raw_median = statistics.median(hub_timings[1:]), statistics.median(raw_timings[1:])
    hub_runs, raw_runs = (", ".join(f"{t:.2f}" for t in timings[1:]) for timings in (hub_timings, raw_timings))
    print(
        f"submission: upload → leaderboard row median {hub_median:.2f} s ({hub_runs});"
        f" raw docker run median {raw_median:.2f} s ({raw_runs})",
        flush=True,
    )
    return hub_median - raw_median


def evaluated(engine, submission):
    """The status of ``submission``'s evaluation, once it has ended (None before)."""
    with Session(engine) as db:
        status = db.scalar(select(Evaluation.status).where(Evaluation.submission_id == submission))
    return status if status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED) else None


WARM_UP_S = 3  # the deadline's readers poll this long before they are measured
# How the readers read: as polling browsers do (gzip accepted, the last ETag sent back in
# If-None-Match: polling.lua), and as the first version of this benchmark did (neither).
READERS = {"browsers": Path(__file__).with_name("polling.lua"), "plain": None}


def sizes(participant, urls):
    """``{name: (bytes, bytes sent to a client that accepts gzip)}`` of each of ``urls``' answers."""
    found = {}
    for name, url in urls.items():
        sent = []
        for encoding in ("identity", "gzip"):  # urllib leaves a compressed body as it came
            request = urllib.request.Request(url, headers={**participant.headers, "Accept-Encoding": encoding})
            with urllib.request.urlopen(request) as answer:
                sent.append(len(answer.read()))
        found[name] = tuple(sent)
    return found


def start_readers(urls, token, seconds, connections, script):
    """``{name: wrk process}``: ``connections`` readers in all, shared out over ``urls`` (``{name: url}``)."""
    return {
        name: subprocess.Popen(
            wrk_command(url, token, seconds, connections // len(urls), script), stdout=subprocess.PIPE, text=True
        )
        for name, url in urls.items()
    }


def deadline_load(hub, folder, participants, seconds, connections, readers=tuple(READERS)):
    """``{readers: ({"page": figures, "API": figures}, (evaluated, missed))}`` for each way of
    ``readers`` (READERS): req/s, p50, p99 in ms and errors of ``connections`` readers of a
    leaderboard of ``participants`` results through the hub's proxy while the data scientist keeps
    submitting, how many submissions were evaluated meanwhile, and how many of them the next read
    of the leaderboard did not show."""
    slug, _, participant, predictions, _ = predictions_challenge(hub, folder)
    seed_phase(hub.settings.database_url, slug, "predictions", participants, users=participants)
    api = f"leaderboards/{slug}/predictions?limit=100"
    began = time.perf_counter()
    assert participant("GET", "leaderboard", api, 200).json()["count"] == participants
    print(f"deadline: {participants:,} results, first read {(time.perf_counter() - began) * 1000:.0f} ms", flush=True)
    urls = {
        "page": f"{hub.url}/services/leaderboard/leaderboards/{slug}/predictions",
        "API": f"{hub.url}/services/leaderboard/api/v1/{api}",
    }
    for name, (plain, compressed) in sizes(participant, urls).items():
        print(f"deadline: the {name} is {plain:,} bytes, {compressed:,} to a client that accepts gzip", flush=True)
    engine = make_engine(hub.settings.database_url)
    found = {}
    for way in readers:
        # as at a deadline, the readers were polling before: their connections (and the proxy's
        # to the service) are open when the measurement starts, not all opened in its first second
        for reader in start_readers(urls, participant.token, WARM_UP_S, connections, READERS[way]).values():
            reader.communicate()
        load = start_readers(urls, participant.token, seconds, connections, READERS[way])
        done, missed = 0, 0
        while any(reader.poll() is None for reader in load.values()):
            shown = participant("GET", "leaderboard", api, 200).json()["count"]
            submission = submit(participant, slug, predictions)
            while (status := evaluated(engine, submission)) is None:
                time.sleep(0.02)
            if status != JobStatus.SUCCEEDED:
                raise RuntimeError(f"the evaluation of submission {submission} ended {status}")
            done += 1
            missed += participant("GET", "leaderboard", api, 200).json()["count"] != shown + 1
        found[way] = {name: wrk_figures(reader.communicate()[0]) for name, reader in load.items()}, (done, missed)
    engine.dispose()
    return found


PARTS = ("rank", "api", "submit", "deadline")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--api-results", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--submissions", type=int, default=3)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--deadline-seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"which of {', '.join(PARTS)} to measure")
    parser.add_argument(
        "--readers",
        default=",".join(READERS),
        help="deadline: how the readers read, in turn: browsers (gzip, If-None-Match), plain (neither)",
    )
    args = parser.parse_args()
    parts = args.parts.split(",")
    if not shutil.which("wrk"):
        sys.exit("benchmarks/leaderboard.py needs wrk: apt-get install wrk")
    last = {}
    if "rank" in parts:
        last["rank_100k_s"] = f"{time_ranking(args.results):.3f}"
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, f"gc-bench{uuid.uuid4().hex[:6]}") as hub:
        if "api" in parts:
            api_latency(hub, args.api_results, args.seconds)
        if "submit" in parts:
            last["submit_overhead_s"] = f"{submission_latency(hub, Path(data_dir), args.submissions):.2f}"
        if "deadline" in parts:
            found = deadline_load(
                hub, Path(data_dir), args.participants, args.deadline_seconds, args.connections, args.readers.split(",")
            )
            for way, (figures, (done, missed)) in found.items():
                for name, (rps, p50, p99, errors) in figures.items():
                    line = f"{rps:.1f} req/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  errors {errors}"
                    print(f"  deadline ({way}), {args.connections // 2} connections on the {name}: {line}", flush=True)
                print(
                    f"  deadline ({way}): {done} submissions evaluated meanwhile, {missed} missing from the next read",
                    flush=True,
                )
            p99s = {way: f"{max(p99 for _, _, p99, _ in figures.values()):.0f}" for way, (figures, _) in found.items()}
            if "plain" in p99s:
                last["leaderboard_plain_p99_ms"] = p99s["plain"]
            last["leaderboard_p99_ms"] = p99s.get("browsers", p99s.get("plain"))
    print(" ".join(f"{name}={value}" for name, value in last.items()))


if __name__ == "__main__":
    main()
