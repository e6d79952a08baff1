"""Submit → leaderboard row on the demo challenge, next to the same containers run with `docker run`.

    .venv/bin/python benchmarks/demo_submission.py [--runs 3]

A hub of its own with the demo content (what `make up` puts into an empty platform). The first
data scientist submits the demo algorithm ``demo-otsu`` (the example algorithm image) to the
``sanity-check`` phase of ``demo-challenge`` through the challenges API and polls the phase's
leaderboard every 50 ms until the new row is there: a job per case (three scans), then the
example evaluation of their outputs against the phase's ground truth, then the row. Each run is
broken down: the containers themselves (start to exit, as the worker logs each run), the worker's
work around them (create, logs, remove, storing and importing outputs: the database's executing →
ended, less the container), and the rest (queues, provisioning, scheduling, the leaderboard).

Baseline, in the same run: the same containers with a plain `docker run --rm` and the sandbox's
flags (benchmarks/runner.py), one after another as the one worker runs them, on the very /input
the platform laid out for the last submission (its own contract functions write it again): the
algorithm on each case, then the evaluation with the ground truth mounted. One warm-up of each,
then ``--runs`` of each; medians.

Last line: ``demo_submit_to_row_s=<median> demo_submit_ratio=<median platform / median raw>``.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from leaderboard import Client
from runner import docker_run_command, time_raw
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubtools import running_hub

from services.contract import provision_inputs
from services.core.database import make_engine
from services.core.orm import JobStatus, Submission
from services.demo import ALGORITHM, ALGORITHM_IMAGE, CHALLENGE, EVALUATION_IMAGE, seed_demo
from services.launcher import example_image_ids
from services.tasks.evaluations import GROUND_TRUTH, write_predictions

PHASE = "sanity-check"
SUBMITTER = "datascientist"  # edits demo-otsu and takes part in the demo challenge


def submit_until_row(participant):
    """Seconds from the POST of a submission until the leaderboard shows its row; its id."""
    board = f"leaderboards/{CHALLENGE}/{PHASE}?bootstrap=false"
    shown = participant("GET", "leaderboard", board, 200).json()["count"]
    began = time.perf_counter()
    submission = participant("POST", "challenges", f"challenges/{CHALLENGE}/phases/{PHASE}/submissions", 201,
                             json={"algorithm": ALGORITHM}).json()  # fmt: skip
    while participant("GET", "leaderboard", board, 200).json()["count"] == shown:
        if time.perf_counter() - began > 600:
            raise RuntimeError(f"submission {submission['id']} reached no leaderboard row in 600 s")
        time.sleep(0.05)
    return time.perf_counter() - began, submission["id"]


def breakdown(engine, log_file, submission_id):
    """Seconds of the submission's runs by kind, ``{"jobs": (container, executing), "evaluation":
    (…)}``: ``container`` from start to exit, as the worker logs each run; ``executing`` the
    database's executing → ended, which adds the worker's work around each container (create,
    logs, remove, storing the outputs, and for the jobs' images their sandboxed import)."""
    with Session(engine) as db:
        submission = db.get(Submission, submission_id)
        [evaluation] = submission.evaluations
        if evaluation.status != JobStatus.SUCCEEDED:
            raise RuntimeError(
                f"submission {submission_id}: evaluation {evaluation.status}, {evaluation.error_message}"
            )
        runs = [("jobs", f"algorithm-job-{job.id}", job) for job in submission.jobs]
        runs.append(("evaluation", f"evaluation-{evaluation.id}", evaluation))
        runs = [(kind, label, (run.completed_at - run.started_at).total_seconds()) for kind, label, run in runs]
    deadline = time.monotonic() + 30  # the worker's lines reach the hub's log a moment later
    while not {label for _, label, _ in runs} <= set(logged := container_seconds(log_file)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker's log lacks runs of submission {submission_id}")
        time.sleep(0.2)
    parts = {"jobs": (0.0, 0.0), "evaluation": (0.0, 0.0)}
    for kind, label, executing in runs:
        container, total = parts[kind]
        parts[kind] = (container + logged[label], total + executing)
    return parts


def container_seconds(log_file):
    """``{run label: seconds from start to exit}`` of the runs that the worker logged as succeeded."""
    found = re.findall(r"\] (\S+) succeeded in ([0-9.]+) s", Path(log_file).read_text())
    return {label: float(seconds) for label, seconds in found}


def raw_commands(engine, data_dir, submission_id, folder):
    """`docker run` commands of the submission's jobs and evaluation, on the /input the platform
    gave them (laid out again by the same functions), in the order the worker ran them."""
    commands = []
    with Session(engine) as db:
        submission = db.get(Submission, submission_id)
        for job in sorted(submission.jobs, key=lambda job: job.id):
            run = folder / f"job-{job.id}"
            command = docker_run_command(ALGORITHM_IMAGE, run, limits=limits_of(job))
            provision_inputs(job.inputs, run / "input", data_dir)
            commands.append(command)
        [evaluation] = submission.evaluations
        run = folder / f"evaluation-{evaluation.id}"
        truth = {GROUND_TRUTH.rstrip("/"): Path(data_dir, submission.phase.ground_truth_path)}
        command = docker_run_command(EVALUATION_IMAGE, run, limits=limits_of(evaluation), read_only_mounts=truth)
        write_predictions(evaluation, run / "input", data_dir)
        commands.append(command)
    return commands


def limits_of(run):
    return {"cpu_limit": run.cpu_limit, "memory_limit_mb": run.memory_limit_mb, "time_limit_s": run.time_limit_s}


def time_raw_submission(commands):
    """Seconds of the submission's containers run one after another with `docker run`."""
    began = time.perf_counter()
    for command in commands:
        time_raw(command)
    return time.perf_counter() - began


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    measured = []  # (submit → row, containers, executing, raw) of each run
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, f"gc-bench{uuid.uuid4().hex[:6]}") as hub:
        seed_demo(hub.settings.database_url, hub.settings.data_dir, image_ids=example_image_ids())
        engine = make_engine(hub.settings.database_url)
        participant = Client(hub, SUBMITTER)
        for run in range(args.runs + 1):  # the first of each is a warm-up
            seconds, submission_id = submit_until_row(participant)
            parts = breakdown(engine, Path(data_dir, "hub.log"), submission_id)
            containers, executing = (sum(part[i] for part in parts.values()) for i in (0, 1))
            with tempfile.TemporaryDirectory(dir=data_dir) as folder:
                commands = raw_commands(engine, hub.settings.data_dir, submission_id, Path(folder))
                raw = time_raw_submission(commands)
            label = "warm-up" if run == 0 else f"run {run}"
            around = ", ".join(
                f"{kind}: {inside:.2f} s in, {total - inside:.2f} s around" for kind, (inside, total) in parts.items()
            )
            print(f"{label}: submit → row {seconds:.2f} s = containers {containers:.2f} s + the worker around"
                  f" them {executing - containers:.2f} s ({around}) + queues, scheduling and the leaderboard"
                  f" {seconds - executing:.2f} s; raw docker run of the same {len(commands)} containers"
                  f" {raw:.2f} s", flush=True)  # fmt: skip
            if run:
                measured.append((seconds, containers, executing, raw))
        engine.dispose()
    platform, containers, executing, raw = (statistics.median(column) for column in zip(*measured, strict=True))
    print(f"medians of {args.runs}: submit → leaderboard row {platform:.2f} s (containers {containers:.2f} s,"
          f" the worker around them {executing - containers:.2f} s); raw docker run {raw:.2f} s;"
          f" load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"demo_submit_to_row_s={platform:.2f} demo_submit_ratio={platform / raw:.2f}")


if __name__ == "__main__":
    main()
