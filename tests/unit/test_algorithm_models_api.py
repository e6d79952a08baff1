"""Algorithm models through the challenges service in-process (SQLite and PostgreSQL), with the
worker's task run as a worker runs it: who may upload, see, activate and delete them, how a model
moves (pending, unpacked and active, or refused with the active one kept), and how jobs and
submissions are pinned to the active model."""

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile

import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from tarballs import ATTACKS, hostile_tarball, tarball

from services.core.database import make_engine
from services.core.errors import InvalidValue
from services.core.orm import (
    Algorithm,
    AlgorithmJob,
    AlgorithmModel,
    Archive,
    ArchiveItem,
    Challenge,
    ChallengeRole,
    Phase,
    SubmissionKind,
    UploadStatus,
    Visibility,
    grant,
)
from services.queue import Task
from services.tasks.algorithm_jobs import model_mounts
from services.tasks.algorithm_models import unpack_algorithm_model

ALGORITHM = "algorithms/weighted"
WEIGHTS = {"weights/layer-1.bin": b"\x01" * 1000, "config.json": b'{"layers": 1}'}


@pytest.fixture
def env(database_url, monkeypatch, tmp_path):
    """The archives and challenges services on one database; algorithm ``weighted`` of the data
    scientist (its editor), which the researcher uses."""
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GC_DATABASE_URL", database_url)  # for the task the tests run themselves
    with (
        fake_hub_auth(monkeypatch),
        service_app("archives", database_url) as archives,
        service_app("challenges", database_url) as challenges,
    ):
        env = Env(archives, challenges, make_engine(database_url), tmp_path)
        ok(env.call("datascientist", "POST", "algorithms", {"slug": "weighted", "title": "Weighted"}), 201)
        member = {"username": "researcher", "role": "user"}
        ok(env.call("datascientist", "POST", f"{ALGORITHM}/members", member), 201)
        yield env
        env.engine.dispose()


class Env:
    def __init__(self, archives, challenges, engine, tmp_path):
        self.archives, self.challenges, self.engine, self.tmp_path = archives, challenges, engine, tmp_path
        self.data_dir = tmp_path / "data"

    def call(self, user, method, path, body=None):
        return self.challenges.call(method, path, user, body)

    def upload(self, user, name, data):
        """``{"upload_session", "file"}`` of ``data`` uploaded by ``user`` as ``name``."""
        session = ok(self.archives.call("POST", "upload-sessions", user, {}), 201)["id"]
        body = {"filename": name, "size": len(data)}
        file = ok(self.archives.call("POST", f"upload-sessions/{session}/files", user, body), 201)["id"]
        ok(self.archives.call("PUT", f"upload-sessions/{session}/files/{file}", user, raw=data))
        return {"upload_session": session, "file": file}

    def hand_over(self, data, name="weights.tar.gz", comment=""):
        """POST ``data`` as a model (202), run the queued task as a worker does: the model after it."""
        body = {**self.upload("datascientist", name, data), "comment": comment}
        unpacked = set(self.data_dir.glob("algorithm-models/*/[!u]*"))
        model = ok(self.call("datascientist", "POST", f"{ALGORITHM}/models", body), 202)
        assert (model["status"], model["sha256"], model["is_active"]) == ("pending", None, False)
        [queued] = [work for work in self.challenges.queue.queued if work.task == Task.UNPACK_ALGORITHM_MODEL]
        self.challenges.queue.queued.clear()
        assert queued.arguments == {"algorithm_model_id": model["id"]}
        assert set(self.data_dir.glob("algorithm-models/*/[!u]*")) == unpacked, "nothing is unpacked in the request"
        unpack_algorithm_model(**queued.arguments)
        return self.model(model["id"])

    def model(self, model_id, user="datascientist"):
        return ok(self.call(user, "GET", f"{ALGORITHM}/models/{model_id}"))


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


def refused(response, status, *words):
    code, body = response
    assert code == status, body
    assert all(word in body["message"] for word in words), body
    return body["message"]


def packed(members=None, compression="gz"):
    """A tarball of ``members`` (name → bytes); the same members give the same bytes (no gzip time)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (members or WEIGHTS).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    compress = {"gz": lambda data: gzip.compress(data, mtime=0), "bz2": bz2.compress, "xz": lzma.compress}
    return compress.get(compression, bytes)(buffer.getvalue())


def test_a_model_is_unpacked_by_a_worker_into_its_checksums_folder_and_becomes_active(env):
    data = packed()
    model = env.hand_over(data, comment="fold 0")
    digest = hashlib.sha256(data).hexdigest()
    assert (model["status"], model["sha256"], model["is_active"], model["comment"]) == (
        "succeeded",
        digest,
        True,
        "fold 0",
    )
    assert model["message"] == "2 file(s), 1.0 KB" and model["filename"] == "weights.tar.gz"
    folder = env.data_dir / "algorithm-models" / "1" / digest
    assert (folder / "weights" / "layer-1.bin").read_bytes() == WEIGHTS["weights/layer-1.bin"]
    assert not list(folder.parent.glob("*.partial-*"))

    newer = env.hand_over(packed({"weights/layer-1.bin": b"\x02" * 1000}), name="v2.tgz")
    assert newer["is_active"] and not env.model(model["id"])["is_active"], "the newest that succeeds is active"
    listed = ok(env.call("researcher", "GET", f"{ALGORITHM}/models"))  # a user of the algorithm may list
    assert [(m["id"], m["is_active"]) for m in listed["results"]] == [(newer["id"], True), (model["id"], False)]
    refused(env.call("researcher2", "GET", f"{ALGORITHM}/models"), 404, "no algorithm 'weighted'")


def test_only_editors_upload_activate_and_delete(env):
    model = env.hand_over(packed())
    body = env.upload("researcher", "w.tar.gz", packed())
    refused(env.call("researcher", "POST", f"{ALGORITHM}/models", body), 403, "Only the editors", "upload its models")
    detail = f"{ALGORITHM}/models/{model['id']}"
    refused(env.call("researcher", "PATCH", detail, {"is_active": False}), 403, "change its models")
    refused(env.call("researcher", "DELETE", detail), 403, "delete its models")
    refused(env.call("researcher2", "GET", detail), 404)
    refused(env.call("datascientist", "GET", f"{ALGORITHM}/models/99"), 404, "Algorithm 'weighted' has no model 99.")
    someone_elses = env.upload("researcher", "w.tar.gz", packed())
    refused(env.call("datascientist", "POST", f"{ALGORITHM}/models", someone_elses), 404, "You have no uploaded file")


@pytest.mark.parametrize("attack", [*ATTACKS, "not-an-archive", "empty"])
def test_a_bad_model_fails_with_its_reason_and_the_active_model_stays(env, attack):
    good = env.hand_over(packed())
    path = env.tmp_path / "bad.tar.gz"
    if attack == "not-an-archive":
        path.write_bytes(b"torch weights, not packed")
        words = "is neither a zip nor a tarball"
    elif attack == "empty":
        tarball(path, {"weights/": (tarfile.DIRTYPE, "")})
        words = "bad.tar.gz holds no files; pack the model's files"
    else:
        words = hostile_tarball(path, attack)
    bad = env.hand_over(path.read_bytes(), name="bad.tar.gz")
    assert bad["status"] == "failed" and not bad["is_active"] and bad["sha256"] is None
    assert words in bad["message"], bad["message"]
    assert bad["message"].endswith(
        f"the active model of algorithm 'weighted' stays model {good['id']} (sha256 {good['sha256']})"
    )
    assert env.model(good["id"])["is_active"]
    assert sorted(p.name for p in (env.data_dir / "algorithm-models" / "1").iterdir()) == [good["sha256"], "uploads"]
    assert len(list((env.data_dir / "algorithm-models" / "1" / "uploads").iterdir())) == 1, "the bad tarball is gone"
    refused(env.call("datascientist", "PATCH", f"{ALGORITHM}/models/{bad['id']}", {"is_active": True}), 409,
            "is failed: only a model that was checked and unpacked can be active")  # fmt: skip


def test_the_same_bytes_twice_are_refused_and_the_first_can_be_activated_again(env):
    first = env.hand_over(packed(), name="v1.tar.gz")
    second = env.hand_over(packed({"other.bin": b"x"}), name="v2.tar.gz")
    again = env.hand_over(packed(), name="v1-again.tar.gz")
    assert again["status"] == "failed" and "v1-again.tar.gz holds the same bytes as model 1" in again["message"]
    assert f'activate it (PATCH …/models/{first["id"]} with {{"is_active": true}})' in again["message"]
    assert f"stays model {second['id']}" in again["message"]
    detail = f"{ALGORITHM}/models/{first['id']}"
    changed = ok(env.call("datascientist", "PATCH", detail, {"is_active": True, "comment": "back to v1"}))
    assert changed["is_active"] and changed["comment"] == "back to v1" and not env.model(second["id"])["is_active"]
    ok(env.call("datascientist", "PATCH", detail, {"is_active": False}))
    listed = ok(env.call("datascientist", "GET", f"{ALGORITHM}/models"))["results"]
    assert not any(m["is_active"] for m in listed), "no model at all is allowed"
    refused(env.call("datascientist", "PATCH", detail, {"is_active": "yes"}), 400, "is_active must be true or false")


def test_a_model_a_run_used_is_kept_and_an_unused_one_is_deleted_with_its_files(env):
    used, unused = env.hand_over(packed(), name="v1.tar.gz"), env.hand_over(packed({"b": b"b"}), name="v2.tar.gz")
    with Session(env.engine) as db:
        algorithm = db.scalar(select(Algorithm).filter_by(slug="weighted"))
        db.add(AlgorithmJob(algorithm=algorithm, creator="datascientist", algorithm_model_id=used["id"]))
        db.commit()
    refused(env.call("datascientist", "DELETE", f"{ALGORITHM}/models/{used['id']}"), 409,
            "was used by 1 job(s) and 0 submission(s); it is kept so that their results stay traceable")  # fmt: skip
    assert (env.data_dir / "algorithm-models" / "1" / used["sha256"]).is_dir()

    code, _ = env.call("datascientist", "DELETE", f"{ALGORITHM}/models/{unused['id']}")
    assert code == 204
    refused(env.call("datascientist", "GET", f"{ALGORITHM}/models/{unused['id']}"), 404)
    assert sorted(p.name for p in (env.data_dir / "algorithm-models" / "1").iterdir()) == [used["sha256"], "uploads"]
    assert len(list((env.data_dir / "algorithm-models" / "1" / "uploads").iterdir())) == 1

    body = env.upload("datascientist", "v3.tar.gz", packed({"c": b"c"}))
    pending = ok(env.call("datascientist", "POST", f"{ALGORITHM}/models", body), 202)
    refused(env.call("datascientist", "DELETE", f"{ALGORITHM}/models/{pending['id']}"), 409, "is still being checked")


def test_jobs_and_submissions_are_pinned_to_the_active_model(env):
    with Session(env.engine) as db:
        algorithm = db.scalar(select(Algorithm).filter_by(slug="weighted"))
        algorithm.container_image = algorithm.container_digest = "sha256:" + "1" * 64
        archive = Archive(slug="cases", title="Cases", created_by="researcher", items=[ArchiveItem()])
        challenge = Challenge(slug="c", title="C", created_by="researcher")
        db.add(Phase(challenge=challenge, slug="final", title="Final", submission_kind=SubmissionKind.ALGORITHM,
                     archive=archive, method_image="gc-hub/example-evaluation:latest",
                     visibility=Visibility.PARTICIPANTS))  # fmt: skip
        grant(db, challenge, "datascientist", ChallengeRole.PARTICIPANT)
        db.commit()
    bare = ok(env.call("researcher", "POST", f"{ALGORITHM}/jobs", {"inputs": {}}), 201)
    assert (bare["model_id"], bare["model_sha256"]) == (None, None), "no model yet: none is mounted"

    model = env.hand_over(packed())
    job = ok(env.call("researcher", "POST", f"{ALGORITHM}/jobs", {"inputs": {}}), 201)
    assert (job["model_id"], job["model_sha256"]) == (model["id"], model["sha256"])
    submission = ok(
        env.call("datascientist", "POST", "challenges/c/phases/final/submissions", {"algorithm": "weighted"}), 201
    )
    assert submission["algorithm_digest"] == "sha256:" + "1" * 64 and submission["model_sha256"] == model["sha256"]
    assert [j["model_sha256"] for j in submission["jobs"]] == [model["sha256"]]


def test_a_job_gets_its_model_read_only_at_opt_ml_model_or_says_it_is_missing(tmp_path):
    algorithm = Algorithm(id=1, slug="weighted", title="W", created_by="d")
    model = AlgorithmModel(id=4, algorithm=algorithm, algorithm_id=1, sha256="ab" * 32, status=UploadStatus.SUCCEEDED,
                           filename="w.tar.gz", tarball_path="w", created_by="d")  # fmt: skip
    assert model_mounts(AlgorithmJob(algorithm=algorithm, creator="d"), tmp_path) == {}
    job = AlgorithmJob(algorithm=algorithm, creator="d", algorithm_model=model)
    with pytest.raises(InvalidValue, match="model 4 .* of algorithm 'weighted' is missing from the platform's storage"):
        model_mounts(job, tmp_path)
    folder = tmp_path / "algorithm-models" / "1" / model.sha256
    folder.mkdir(parents=True)
    assert model_mounts(job, tmp_path) == {"/opt/ml/model/": folder}
