"""The rules of submitting, through the challenges service in-process (SQLite and PostgreSQL):
open and close times, who may submit, limits that failed evaluations do not use up, algorithm
sockets, admins' re-evaluation, cancelling and publishing, and ground truth uploads."""

import gzip
import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from import_samples import zip_bomb
from sqlalchemy import select
from sqlalchemy.orm import Session
from tarballs import HOSTILE, damaged, tarball

from services.core.database import make_engine
from services.core.orm import Evaluation, JobStatus, Phase, UploadFile, UploadSession, advance
from services.queue import Task
from services.tasks.ground_truth import make_ground_truth

CHALLENGE = "challenges/lungs"


@pytest.fixture
def env(database_url, monkeypatch, tmp_path):
    """``call(user, method, path, body)``, the queued runs, and helpers on one database."""
    monkeypatch.setitem(apptools.USERS, "participant", apptools.USERS["datascientist"])
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GC_DATABASE_URL", database_url)  # for the tasks these tests run themselves
    with fake_hub_auth(monkeypatch), service_app("challenges", database_url) as app:
        engine = make_engine(database_url)
        env = Env(app, engine, tmp_path)
        ok(env.call("researcher", "POST", "challenges", {"slug": "lungs", "title": "Lungs"}), 201)
        request = ok(env.call("participant", "POST", f"{CHALLENGE}/join", {}), 201)
        ok(env.call("researcher", "POST", f"{CHALLENGE}/join-requests/{request['id']}", {"decision": "accept"}))
        yield env
        engine.dispose()


class Env:
    def __init__(self, app, engine, data_dir):
        self.app, self.engine, self.data_dir = app, engine, data_dir

    @property
    def queued(self):
        """What the service queued (apptools.Queued), in order."""
        return self.app.queue.queued

    def call(self, user, method, path, body=None):
        return self.app.call(method, path, user, body)

    def phase(self, slug="final", **fields):
        body = {"slug": slug, "title": slug, "visibility": "participants",
                "method_image": "gc-hub/example-evaluation:latest", **fields}  # fmt: skip
        return ok(self.call("researcher", "POST", f"{CHALLENGE}/phases", body), 201)

    def upload(self, owner, name="predictions.zip", data=b"PK\x05\x06" + b"\0" * 18):
        """A complete upload of ``data`` by ``owner``: the body that hands it over."""
        with Session(self.engine) as db:
            session = UploadSession(owner=owner)
            file = UploadFile(upload_session=session, filename=name, size=len(data), received=len(data))
            db.add(file)
            db.commit()
            path = Path(self.data_dir, file.upload_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return {"upload_session": session.id, "file": file.id}

    def submit(self, phase="final", user="participant", **body):
        body = body or self.upload(user)
        return self.call(user, "POST", f"{CHALLENGE}/phases/{phase}/submissions", body)

    def end_evaluations(self, status, metrics=None):
        with Session(self.engine) as db:
            for evaluation in db.scalars(select(Evaluation).where(Evaluation.status == JobStatus.QUEUED)):
                for step in (JobStatus.PROVISIONING, JobStatus.EXECUTING, status):
                    if evaluation.status.can_become(step):
                        advance(evaluation, step)
                evaluation.metrics = metrics
            db.commit()


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


def refused(response, status, *words):
    code, body = response
    assert code == status, body
    for word in words:
        assert word in body["message"], body
    return body["message"]


def test_a_predictions_file_is_kept_and_its_evaluation_queued(env):
    env.phase()
    submission = ok(env.submit(), 201)
    assert submission["kind"] == "predictions" and submission["status"] == "queued"
    assert submission["predictions_file"].endswith(".zip")
    assert len(env.queued) == 1 and env.queued[0].task == Task.RUN_EVALUATION
    assert ok(env.call("participant", "GET", f"{CHALLENGE}/phases/final/submissions"))["count"] == 1
    refused(env.call("researcher2", "GET", f"{CHALLENGE}/phases/final/submissions/{submission['id']}"), 404)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"opens_at": "2999-01-01T00:00:00Z"}, "opens at 2999-01-01"),
        (
            {"closes_at": "2000-01-01T00:00:00Z"},
            "closed at 2000-01-01 00:00 UTC; it takes no more submissions."
            " Submit to a phase that is open (%gc_challenges lists them).",
        ),
    ],
)
def test_submissions_only_while_the_phase_is_open(env, fields, words):
    env.phase(**fields)
    refused(env.submit(), 409, words)
    assert env.queued == []


def test_only_participants_submit_and_others_are_told_how_to_join(env):
    env.phase(visibility="public")
    join = "%gc_join lungs", "'Request to join' on the challenges page"
    refused(env.submit(user="datascientist"), 403, "Only participants of challenge 'lungs'", *join)
    # A phase for participants stays unknown to others: it reads as one that does not exist.
    env.phase("members-only")
    members_only = refused(env.submit("members-only", user="datascientist"), 404, "Only its participants", *join)
    missing = refused(env.submit("no-such-phase", user="datascientist", algorithm="x"), 404, *join)
    assert members_only == missing.replace("no-such-phase", "members-only")
    ok(env.call("datascientist", "POST", f"{CHALLENGE}/join", {}), 201)
    refused(env.submit(user="datascientist"), 403, "your request to join it is pending: submit once its admins")
    refused(env.submit(user="clinician"), 403, "may not join challenges: ask the hub's admins")
    assert env.queued == []


def test_the_limit_counts_what_did_not_fail_and_says_when_to_submit_again(env):
    env.phase(submissions_limit=1, submissions_period_days=1)
    ok(env.submit(), 201)
    env.end_evaluations(JobStatus.FAILED)
    second = ok(env.submit(), 201)  # the failed one does not count
    freed = (datetime.fromisoformat(second["created_at"]) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M UTC")
    refused(env.submit(), 409, "used your 1 submission(s) in 1 day(s)", "failed evaluations do not count",
            f"the oldest of them stops counting at {freed}: submit again then")  # fmt: skip
    env.phase("once", submissions_limit=1)
    ok(env.submit("once"), 201)
    refused(env.submit("once"), 409, "in this phase", "a submission whose evaluations all fail gives its place back")


def test_a_parent_phase_must_be_passed_first(env):
    env.phase("sanity")
    env.phase("final", parent="sanity")
    refused(env.submit("final"), 409, "passed 'sanity' first")
    env.phase("secret", visibility="hidden")
    env.phase("open", visibility="public", parent="secret")
    message = refused(env.submit("open"), 409, "passed an earlier phase that you cannot see", "ask the challenge's")
    assert "secret" not in message
    ok(env.submit("sanity"), 201)
    env.end_evaluations(JobStatus.SUCCEEDED, {"aggregates": {"score": 1}})
    ok(env.submit("final"), 201)


def test_an_algorithm_phase_wants_an_algorithm_that_fits(env):
    env.phase(submission_kind="algorithm")
    refused(env.submit(), 400, "takes algorithms")
    ok(env.call("participant", "POST", "algorithms", {"slug": "mine", "title": "Mine"}), 201)
    refused(env.submit(algorithm="mine"), 409, "no checked container image", "%gc_algorithm build mine")
    refused(env.submit(algorithm="nobodys"), 404, "Submit an algorithm that you edit")
    ok(env.call("researcher", "POST", "algorithms", {"slug": "theirs", "title": "Theirs"}), 201)
    body = {"username": "participant", "role": "user"}
    ok(env.call("researcher", "POST", "algorithms/theirs/members", body), 201)
    refused(env.submit(algorithm="theirs"), 403, "Only editors of algorithm 'theirs'", "ask one of them")


def test_someone_elses_upload_is_not_found(env):
    env.phase()
    refused(env.submit(**env.upload("researcher")), 404, "You have no uploaded file")


def test_admins_publish_reevaluate_and_cancel(env):
    env.phase(auto_publish=False)
    submission = ok(env.submit(), 201)
    path = f"{CHALLENGE}/phases/final/submissions/{submission['id']}"
    env.end_evaluations(JobStatus.SUCCEEDED, {"aggregates": {"score": 0.7}})
    mine = ok(env.call("participant", "GET", path))
    assert mine["status"] == "succeeded" and mine["evaluations"][0]["metrics"] is None  # not published yet
    evaluation = mine["evaluations"][0]["id"]
    refused(
        env.call("participant", "PATCH", f"{CHALLENGE}/phases/final/evaluations/{evaluation}", {"published": True}), 403
    )
    ok(env.call("researcher", "PATCH", f"{CHALLENGE}/phases/final/evaluations/{evaluation}", {"published": True}))
    assert ok(env.call("participant", "GET", path))["evaluations"][0]["metrics"] == {"aggregates": {"score": 0.7}}

    refused(env.call("participant", "POST", f"{path}/evaluations"), 403, "Only the admins")
    again = ok(env.call("researcher", "POST", f"{path}/evaluations"), 201)
    assert again["status"] == "queued" and env.queued[-1].arguments == {"run_id": again["id"]}
    assert env.queued[-1].task == Task.RUN_EVALUATION
    cancelled = ok(env.call("researcher", "POST", f"{path}/cancel"))
    assert [e["status"] for e in cancelled["evaluations"]] == ["succeeded", "cancelled"]
    refused(env.call("researcher", "POST", f"{path}/cancel"), 409, "nothing left to cancel")


def zipped(members):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return archive.getvalue()


def hand_over_ground_truth(env, upload, phase="final"):
    """POST the upload as the phase's ground truth (202), then run the queued task as a worker
    does; the upload file's row afterwards."""
    before = {path for path in env.data_dir.glob("ground-truth/**/*") if path.is_file()}
    taken = ok(env.call("researcher", "POST", f"{CHALLENGE}/phases/{phase}/ground-truth", upload), 202)
    assert taken["status"] == "importing" and taken["file"] == upload["file"]
    queued = env.queued.pop()
    assert queued.task == Task.MAKE_GROUND_TRUTH
    task = queued.arguments
    after = {path for path in env.data_dir.glob("ground-truth/**/*") if path.is_file()}
    assert after - before == {env.data_dir / task["archive"]}, "nothing is unpacked in the request"
    make_ground_truth(**task)
    assert not (env.data_dir / task["archive"]).exists()
    with Session(env.engine) as db:
        file = db.get(UploadFile, upload["file"])
        phase = db.scalars(select(Phase).filter_by(slug=phase)).one()
        return file.status, file.message, phase.ground_truth_path, phase.ground_truth_version


def test_ground_truth_is_unpacked_by_a_worker_into_the_challenges_folder(env):
    env.phase()
    upload = env.upload("researcher", "truth.zip", zipped({"case-1.mha": b"mask", "more/case-2.mha": b"mask2"}))
    refused(env.call("participant", "POST", f"{CHALLENGE}/phases/final/ground-truth", upload), 403)
    status, message, path, version = hand_over_ground_truth(env, upload)
    assert status == "succeeded" and "the ground truth of phase 'final' (2 file(s), version sha256:" in message
    assert path.startswith("ground-truth/lungs/final/") and version.startswith("sha256:")
    assert (env.data_dir / path / "case-1.mha").read_bytes() == b"mask"
    assert (env.data_dir / path / "more" / "case-2.mha").read_bytes() == b"mask2"
    again = env.call("researcher", "POST", f"{CHALLENGE}/phases/final/ground-truth", upload)
    refused(again, 409, "cannot become importing")


def test_one_file_of_ground_truth_is_kept_as_it_is(env):
    env.phase()
    upload = env.upload("researcher", "labels.csv", b"case,label\n1,0\n")
    status, _message, path, _version = hand_over_ground_truth(env, upload)
    assert status == "succeeded" and (env.data_dir / path / "labels.csv").read_bytes() == b"case,label\n1,0\n"


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"../../escape.mha": b"x"}, "a path that points outside"),
        ({"case.mha": b"x", "case.mha/inner.mha": b"y"}, "could not be unpacked"),
    ],
)
def test_ground_truth_that_cannot_be_unpacked_leaves_the_phase_as_it_was(env, members, words):
    env.phase()
    _status, _message, good, _version = hand_over_ground_truth(
        env, env.upload("researcher", "ok.zip", zipped({"a": b"a"}))
    )
    status, message, path, _version = hand_over_ground_truth(env, env.upload("researcher", "bad.zip", zipped(members)))
    assert status == "failed" and words in message and "phase 'final' keeps its earlier ground truth" in message
    assert path == good
    assert sorted(p.name for p in (env.data_dir / "ground-truth/lungs/final").iterdir()) == [good.rsplit("/", 1)[1]]


def test_a_zip_bomb_as_ground_truth_is_refused(env, tmp_path):
    env.phase()
    bomb = zip_bomb(tmp_path / "bomb.zip").read_bytes()
    status, message, path, _version = hand_over_ground_truth(env, env.upload("researcher", "truth.zip", bomb))
    assert status == "failed" and "that is a zip bomb" in message and path is None


def test_tarball_ground_truth_is_unpacked_like_a_zip(env, tmp_path):
    env.phase()
    truth = tarball(tmp_path / "truth.tar.gz", {"./case-1.mha": b"mask", "./more/case-2.mha": b"mask2"})
    status, message, path, _version = hand_over_ground_truth(
        env, env.upload("researcher", "truth.tgz", truth.read_bytes())
    )
    assert status == "succeeded" and "(2 file(s), version sha256:" in message, message
    assert (env.data_dir / path / "case-1.mha").read_bytes() == b"mask"
    assert (env.data_dir / path / "more" / "case-2.mha").read_bytes() == b"mask2"


def test_a_compressed_file_that_is_no_tarball_is_kept_as_it_is(env):
    env.phase()
    data = gzip.compress(b"\x5c\x01\x00\x00" + bytes(600))
    status, _message, path, _version = hand_over_ground_truth(env, env.upload("researcher", "labels.nii.gz", data))
    assert status == "succeeded" and (env.data_dir / path / "labels.nii.gz").read_bytes() == data


@pytest.mark.parametrize("attack", ["truncated", "symlink", "parent-path"])
def test_a_bad_tarball_as_ground_truth_fails_and_the_phase_keeps_its_ground_truth(env, tmp_path, attack):
    env.phase()
    _status, _message, good, _version = hand_over_ground_truth(
        env, env.upload("researcher", "ok.zip", zipped({"a": b"a"}))
    )
    if attack == "truncated":
        bad, words = damaged(tmp_path / "truth.tar.gz", {"case.mha": bytes(range(256)) * 400}, attack), "not a readable"
    else:
        members, words = HOSTILE[attack]
        bad = tarball(tmp_path / "truth.tar.gz", members)
    status, message, path, _version = hand_over_ground_truth(
        env, env.upload("researcher", "truth.tar.gz", bad.read_bytes())
    )
    assert status == "failed" and words in message and "phase 'final' keeps its earlier ground truth" in message
    assert path == good
    assert sorted(p.name for p in (env.data_dir / "ground-truth/lungs/final").iterdir()) == [good.rsplit("/", 1)[1]]
