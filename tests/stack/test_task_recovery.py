"""The longer background tasks survive Redis losing their jobs and their worker being killed: a
container image's intake, an algorithm image's build, ground truth and an algorithm's model are
queued again, tried once more after a job that died, then failed with what to do (see
services/tasks/recovery.py). Upload sessions: test_recovery.py."""

import io
import json
import os
import tarfile
import uuid

import pytest
from runtools import ExecutionPlatform, script_image, wait_for
from sqlalchemy.orm import Session

from services.core.orm import (
    Algorithm,
    AlgorithmModel,
    Challenge,
    ContainerImage,
    Phase,
    UploadFile,
    UploadSession,
    UploadStatus,
)
from services.core.paths import ground_truth_handover
from services.queue import Task, TaskQueue, task_job_id

pytestmark = pytest.mark.stack

# Enough files that unpacking them takes seconds: time to kill the worker doing it.
MANY = 20_000


@pytest.fixture
def platform(tmp_path):
    platform = ExecutionPlatform(tmp_path)
    yield platform
    platform.close()


def tarball(path, count):
    """A tarball of ``count`` one-byte files."""
    with tarfile.open(path, "w") as tar:
        for number in range(count):
            info = tarfile.TarInfo(f"weights/{number // 1000}/{number}.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"w"))
    return path


def added(platform, row):
    """``row``, committed; its id."""
    with Session(platform.engine) as session:
        session.add(row)
        session.commit()
        return row.id


def new_algorithm():
    return Algorithm(slug=f"recovered-{uuid.uuid4().hex[:8]}", title="A", created_by="d")


def lost_intake(platform, status):
    image = script_image(platform.docker, "recovered-intake", "print('recovered')\n")
    tarball_path = str(platform.save(image, f"{uuid.uuid4().hex}.tar"))
    return added(
        platform,
        ContainerImage(owner="d", algorithm=new_algorithm(), tarball_path=tarball_path, size=1, status=status),
    )


def lost_build(platform, status):
    context = f"builds/{uuid.uuid4().hex}"
    (platform.data_dir / context / "files").mkdir(parents=True)
    (platform.data_dir / context / "files" / "main.py").write_text("print('built')\n")
    (platform.data_dir / context / "build.json").write_text(json.dumps({"entrypoint": "main.py"}))
    return added(
        platform, ContainerImage(owner="d", algorithm=new_algorithm(), tarball_path=context, size=1, status=status)
    )


def lost_model(platform, status, count=3):
    algorithm_id = added(platform, new_algorithm())
    relative = f"algorithm-models/{algorithm_id}/uploads/{uuid.uuid4().hex}"
    (platform.data_dir / relative).parent.mkdir(parents=True)
    tarball(platform.data_dir / relative, count)
    model = AlgorithmModel(
        algorithm_id=algorithm_id, filename="model.tar", tarball_path=relative, size=1, created_by="d", status=status
    )
    return added(platform, model)


def lost_ground_truth(platform, status, count=3):
    """An upload file handed over as a phase's ground truth, as the challenges service does."""
    phase = Phase(challenge=Challenge(slug=f"c-{uuid.uuid4().hex[:6]}", title="C", created_by="r"), slug="final",
                  title="Final")  # fmt: skip
    upload = UploadSession(owner="r", status=UploadStatus.PENDING)
    file = UploadFile(upload_session=upload, filename="truth.tar", size=1, received=1, status=status)
    with Session(platform.engine) as session:
        session.add_all([phase, file])
        session.commit()
        _folder, archive = ground_truth_handover(phase.challenge.slug, phase.slug, file.id)
        (platform.data_dir / archive).parent.mkdir(parents=True)
        tarball(platform.data_dir / archive, count)
        return file.id


def enqueue_ground_truth(platform, file_id):
    with Session(platform.engine) as session:
        phase = session.query(Phase).one()
        folder, archive = ground_truth_handover(phase.challenge.slug, phase.slug, file_id)
        TaskQueue.from_url(platform.redis.url).make_ground_truth(
            phase_id=phase.id, upload_file_id=file_id, archive=archive, folder=folder
        )


def ended(platform, model, record_id, timeout=90):
    """Record ``record_id`` of ``model`` once its status is terminal."""

    def status():
        with Session(platform.engine) as session:
            return session.get(model, record_id).status

    logs = lambda: "\n".join(worker.output()[-3000:] for worker in platform.workers)  # noqa: E731
    assert wait_for(lambda: status().is_terminal, timeout=timeout), logs()
    with Session(platform.engine, expire_on_commit=False) as session:
        return session.get(model, record_id)


def half_made(platform):
    """The folders that unpacking left half made."""
    return list(platform.data_dir.glob("**/*.partial-*"))


def files_in(folder):
    return sum(len(names) for _, _, names in os.walk(folder))


LOST = {
    "intake": (lost_intake, ContainerImage),
    "build": (lost_build, ContainerImage),
    "model": (lost_model, AlgorithmModel),
    "ground truth": (lost_ground_truth, UploadFile),
}


@pytest.mark.parametrize("kind", LOST)
def test_a_record_importing_whose_job_redis_lost_is_taken_to_its_end(platform, kind):
    make, model = LOST[kind]
    record_id = make(platform, UploadStatus.IMPORTING)  # its job was lost with Redis's data
    platform.start_worker(queues=("import", "cpu"))
    record = ended(platform, model, record_id, timeout=120)
    assert record.status == UploadStatus.SUCCEEDED, platform.workers[0].output()[-3000:]
    assert not half_made(platform)


def test_a_pending_model_whose_job_redis_lost_is_unpacked(platform):
    model_id = lost_model(platform, UploadStatus.PENDING)
    platform.start_worker(queues=("import",))
    model = ended(platform, AlgorithmModel, model_id)
    assert model.status == UploadStatus.SUCCEEDED and model.is_active, model.message


def kill_while_unpacking(platform):
    """Start a worker, and kill it once it unpacks half way; what it left half made."""
    worker = platform.start_worker(queues=("import",))
    assert wait_for(lambda: half_made(platform)), worker.output()[-2000:]
    worker.kill_hard()
    return half_made(platform)


def test_a_model_whose_worker_was_killed_while_unpacking_is_unpacked_again_whole(platform):
    model_id = lost_model(platform, UploadStatus.PENDING, count=MANY)
    TaskQueue.from_url(platform.redis.url).unpack_algorithm_model(model_id)
    assert kill_while_unpacking(platform)
    platform.start_worker(queues=("import",))
    model = ended(platform, AlgorithmModel, model_id)
    assert model.status == UploadStatus.SUCCEEDED and model.is_active, model.message
    assert files_in(platform.data_dir / model.folder) == MANY
    assert not half_made(platform)


def test_ground_truth_whose_worker_was_killed_while_unpacking_is_unpacked_again_whole(platform):
    file_id = lost_ground_truth(platform, UploadStatus.IMPORTING, count=MANY)
    enqueue_ground_truth(platform, file_id)
    assert kill_while_unpacking(platform)
    platform.start_worker(queues=("import",))
    file = ended(platform, UploadFile, file_id)
    assert file.status == UploadStatus.SUCCEEDED, file.message
    with Session(platform.engine) as session:
        phase = session.query(Phase).one()
        assert files_in(platform.data_dir / phase.ground_truth_path) == MANY
        assert not (platform.data_dir / ground_truth_handover(phase.challenge.slug, phase.slug, file_id)[1]).exists()
    assert not half_made(platform)


def test_a_model_whose_worker_died_twice_fails_with_what_to_do(platform):
    model_id = lost_model(platform, UploadStatus.PENDING, count=MANY)
    queue = TaskQueue.from_url(platform.redis.url)
    queue.unpack_algorithm_model(model_id)
    assert kill_while_unpacking(platform)

    def retried_and_started():
        job = queue.job(task_job_id(Task.UNPACK_ALGORITHM_MODEL, model_id))
        return job is not None and job.meta.get("retried") and job.get_status() == "started"

    worker = platform.start_worker(queues=("import",))
    assert wait_for(retried_and_started, timeout=60), worker.output()[-2000:]
    worker.kill_hard()
    platform.start_worker(queues=("import",))
    model = ended(platform, AlgorithmModel, model_id)
    assert model.status == UploadStatus.FAILED
    assert model.message == (
        "the unpacking of the model stopped twice without finishing (its worker died); upload the model again"
    )
    assert not half_made(platform)
    assert not (platform.data_dir / model.tarball_path).exists()
