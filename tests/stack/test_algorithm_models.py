"""Algorithm models through the real hub, worker and Docker. An algorithm whose image reads
/opt/ml/model/ sees the files of its active model, read-only; a new model changes what its new
jobs see, while a submission made before it keeps its model on every case, including those run
after the change; the leaderboard shows the pin. Hostile tarballs, as models or as ground truth,
fail with a message that says why and change nothing."""

import hashlib
import os
import subprocess
import uuid
from datetime import datetime

import docker
import pytest
from runtools import script_image
from sqlalchemy import select
from sqlalchemy.orm import Session
from tarballs import ATTACKS, HOSTILE, hostile_tarball, tarball
from test_algorithms_through_hub import Client

from services.core.database import make_engine
from services.core.orm import AlgorithmJob

pytestmark = pytest.mark.stack

# The algorithm: what it finds at /opt/ml/model/, and whether it could write there.
READER = """
import json, pathlib, time
case = json.loads(pathlib.Path("/input/model-case.json").read_text())
time.sleep(case.get("sleep", 0))
root = pathlib.Path("/opt/ml/model")
files = {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}
try:
    (root / "tampered.txt").write_text("x")
    writable = True
except OSError:
    writable = False
seen = {"case": case["case"], "files": files, "writable": writable}
pathlib.Path("/output/model-files.json").write_text(json.dumps(seen))
"""
# The evaluation: what each case's job saw, as metrics.
EVALUATION = """
import json, pathlib
seen = [json.loads(p.read_text()) for p in pathlib.Path("/input").rglob("model-files.json")]
metrics = {"aggregates": {"score": len(seen)}, "seen": {s["case"]: s["files"] for s in seen}}
pathlib.Path("/output/metrics.json").write_text(json.dumps(metrics))
"""
MODEL_A = {"weights/a.txt": b"model A", "config.json": b'{"version": "A"}'}
MODEL_B = {"weights/b.txt": b"model B", "config.json": b'{"version": "B"}'}
FILES_A = {name: data.decode() for name, data in MODEL_A.items()}
FILES_B = {name: data.decode() for name, data in MODEL_B.items()}


def saved(tag, folder):
    """A `docker save` tarball of image ``tag``."""
    path = folder / f"{tag.split('/')[-1].replace(':', '-')}.tar"
    subprocess.run(["docker", "save", tag, "-o", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def world(hub, tmp_path_factory):
    """The researcher's algorithm (its image uploaded) and an algorithm phase of three cases
    (the first slow, run one at a time) with an uploaded evaluation method."""
    folder = tmp_path_factory.mktemp("models")
    researcher, tag = Client(hub, "researcher"), uuid.uuid4().hex[:6]
    for slug in ("model-case", "model-files"):
        body = {"slug": slug, "title": slug, "kind": "any"}
        assert researcher("POST", "archives", "sockets", json=body).status_code in (201, 409)
    client = docker.from_env()
    images = {name: script_image(client, f"models-{name}", script) for name, script in
              (("reader", READER), ("evaluation", EVALUATION))}  # fmt: skip

    algorithm = f"reader-{tag}"
    body = {"slug": algorithm, "title": "Reader", "inputs": ["model-case"], "outputs": ["model-files"],
            "cpu_limit": 1, "memory_limit_mb": 512, "time_limit_s": 120}  # fmt: skip
    researcher("POST", "challenges", "algorithms", 201, json=body)
    session, file = researcher.upload(saved(images["reader"], folder))
    intake = researcher("POST", "challenges", f"algorithms/{algorithm}/image", 202,
                        json={"upload_session": session, "file": file}).json()  # fmt: skip
    assert researcher.wait("challenges", f"container-images/{intake['id']}")["status"] == "succeeded"

    archive, challenge = f"model-cases-{tag}", f"models-{tag}"
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": "Cases"})
    for case, sleep in (("c1", 8), ("c2", 0), ("c3", 0)):  # the first is slow: a new model comes meanwhile
        values = {"values": {"model-case": {"case": case, "sleep": sleep}}}
        researcher("POST", "archives", f"archives/{archive}/items", 201, json=values)
    researcher("POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Models"})
    phase = {"slug": "final", "title": "Final", "submission_kind": "algorithm", "archive": archive,
             "algorithm_inputs": ["model-case"], "algorithm_outputs": ["model-files"], "algorithm_concurrency": 1,
             "visibility": "public", "cpu_limit": 1, "memory_limit_mb": 512, "time_limit_s": 120}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{challenge}/phases", 201, json=phase)
    session, file = researcher.upload(saved(images["evaluation"], folder))
    method = researcher("POST", "challenges", f"challenges/{challenge}/phases/final/method", 202,
                        json={"upload_session": session, "file": file}).json()  # fmt: skip
    assert researcher.wait("challenges", f"container-images/{method['id']}")["status"] == "succeeded"
    return {"researcher": researcher, "algorithm": algorithm, "challenge": challenge, "folder": folder, "hub": hub}


def post_model(world, path):
    """The model that POSTing the tarball at ``path`` made, while a worker takes it in."""
    session, file = world["researcher"].upload(path)
    body = {"upload_session": session, "file": file, "comment": path.name}
    return world["researcher"]("POST", "challenges", f"algorithms/{world['algorithm']}/models", 202, json=body).json()


def model_of(world, model):
    """``model`` once the worker is done with it."""
    return world["researcher"].wait("challenges", f"algorithms/{world['algorithm']}/models/{model['id']}")


def run_job(world, case):
    """What a new job of the algorithm on ``case`` saw at /opt/ml/model/, and the job."""
    inputs = {"inputs": {"model-case": {"case": case}}}
    job = world["researcher"]("POST", "challenges", f"algorithms/{world['algorithm']}/jobs", 201, json=inputs).json()
    job = world["researcher"].wait("challenges", f"algorithm-jobs/{job['id']}")
    assert job["status"] == "succeeded", job
    return job["outputs"]["model-files"], job


def active(world):
    models = world["researcher"]("GET", "challenges", f"algorithms/{world['algorithm']}/models", 200).json()
    return [model["id"] for model in models["results"] if model["is_active"]]


def test_jobs_read_the_active_model_and_a_submission_keeps_its_own(world):
    researcher, folder, challenge = world["researcher"], world["folder"], world["challenge"]
    first = model_of(world, post_model(world, tarball(folder / "model-a.tar.gz", MODEL_A)))
    digest_a = hashlib.sha256((folder / "model-a.tar.gz").read_bytes()).hexdigest()
    assert (first["status"], first["sha256"], first["is_active"]) == ("succeeded", digest_a, True), first
    seen, job = run_job(world, "alone")
    assert seen == {"case": "alone", "files": FILES_A, "writable": False}, "the model's files, read-only"
    assert (job["model_id"], job["model_sha256"]) == (first["id"], digest_a)

    # Submitted with model A; model B arrives while the slow first case runs.
    submissions = f"challenges/{challenge}/phases/final/submissions"
    submission = researcher("POST", "challenges", submissions, 201, json={"algorithm": world["algorithm"]}).json()
    assert submission["model_sha256"] == digest_a and submission["algorithm_digest"].startswith("sha256:")
    second = model_of(world, post_model(world, tarball(folder / "model-b.tar.gz", MODEL_B)))
    assert second["status"] == "succeeded" and active(world) == [second["id"]]

    done = researcher.wait("challenges", f"{submissions}/{submission['id']}",
                           until=lambda s: s["status"] in ("succeeded", "failed", "cancelled"))  # fmt: skip
    assert done["status"] == "succeeded", done
    assert [job["model_sha256"] for job in done["jobs"]] == [digest_a] * 3
    assert done["evaluations"][0]["metrics"]["seen"] == {"c1": FILES_A, "c2": FILES_A, "c3": FILES_A}
    with Session(make_engine(world["hub"].settings.database_url)) as db:
        made = db.scalars(select(AlgorithmJob.created_at).filter_by(submission_id=submission["id"])).all()
    assert max(made) > datetime.fromisoformat(second["completed_at"]), "a case's job was made after B was active"

    board = researcher("GET", "leaderboard", f"leaderboards/{challenge}/final", 200).json()
    assert board["results"][0]["pinned"]["model_sha256"] == digest_a
    assert board["results"][0]["pinned"]["algorithm_digest"] == submission["algorithm_digest"]
    browser, url = world["hub"].login("researcher"), world["hub"].url
    for page in (f"challenges/challenges/{challenge}/submissions/{submission['id']}",
                 f"leaderboard/leaderboards/{challenge}/final"):  # fmt: skip
        shown = browser.get(f"{url}/services/{page}")
        assert shown.status_code == 200 and f"model <code>{digest_a[:12]}</code>" in shown.text, page

    seen, job = run_job(world, "later")
    assert seen["files"] == FILES_B and job["model_sha256"] == second["sha256"]
    kept = researcher("DELETE", "challenges", f"algorithms/{world['algorithm']}/models/{first['id']}", 409).json()
    assert "it is kept so that their results stay traceable" in kept["message"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_hostile_model_tarball_fails_and_changes_nothing(world, attack):
    folder = world["folder"]
    if not active(world):
        model_of(world, post_model(world, tarball(folder / "good.tar.gz", {"w.txt": uuid.uuid4().bytes})))
    before = active(world)
    path = folder / f"{attack}.tar.gz"
    words = hostile_tarball(path, attack)
    refused = model_of(world, post_model(world, path))
    assert refused["status"] == "failed" and words in refused["message"], refused
    assert f"the active model of algorithm {world['algorithm']!r} stays model {before[0]}" in refused["message"]
    assert active(world) == before
    data_dir = world["hub"].settings.data_dir
    assert not os.path.lexists("/tmp/gc-hub-escape.txt") and not os.path.lexists(f"{data_dir}/escape.txt")


def test_hostile_tarball_ground_truth_fails_and_the_phase_keeps_its_own(world):
    researcher, folder, challenge = world["researcher"], world["folder"], world["challenge"]
    path = f"challenges/{challenge}/phases/final"
    for name, members in (("truth.tar.gz", {"c1.json": b"{}"}), ("evil.tar.gz", HOSTILE["symlink"][0])):
        session, file = researcher.upload(tarball(folder / name, members))
        researcher("POST", "challenges", f"{path}/ground-truth", 202, json={"upload_session": session, "file": file})
        outcome = researcher.wait("archives", f"upload-sessions/{session}/files/{file}")
        if name == "truth.tar.gz":
            assert outcome["status"] == "succeeded", outcome
            kept = researcher("GET", "challenges", path, 200).json()["ground_truth_version"]
    assert outcome["status"] == "failed" and "evil.tar.gz holds a symbolic link" in outcome["message"]
    assert "phase 'final' keeps its earlier ground truth" in outcome["message"]
    assert researcher("GET", "challenges", path, 200).json()["ground_truth_version"] == kept
