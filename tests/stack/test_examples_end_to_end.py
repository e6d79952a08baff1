"""The example algorithm and evaluation through real workers: a job segments a stored image, then
an evaluation of an algorithm submission scores the job's output against ground truth."""

import shutil

import pytest
import SimpleITK as sitk
from runtools import ExecutionPlatform, wait_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.contract import store_image
from services.core.orm import (
    Algorithm,
    AlgorithmInterface,
    AlgorithmJob,
    Challenge,
    Evaluation,
    Image,
    Phase,
    Socket,
    Submission,
    SubmissionKind,
    make_value,
)
from services.queue import TaskQueue

pytestmark = pytest.mark.stack

ALGORITHM = "gc-hub/example-algorithm:latest"
EVALUATION = "gc-hub/example-evaluation:latest"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = ExecutionPlatform(tmp_path_factory.mktemp("examples"))
    platform.start_worker(queues=("cpu", "evaluation"))
    yield platform
    platform.close()


def stored_volume(session, platform, folder, name):
    """A bright sphere in a dark 48×40×32 int16 volume, stored as an Image named ``name``."""
    blob = sitk.GaussianSource(sitk.sitkFloat32, size=[48, 40, 32], sigma=[4, 4, 4], mean=[24, 20, 16], scale=1)
    image = sitk.Cast(sitk.BinaryThreshold(blob, 0.5, 2.0, 1, 0), sitk.sitkInt16) * 880 + 20
    image.SetSpacing((0.8, 0.8, 2.5))
    path = folder / name
    sitk.WriteImage(image, str(path), True)
    return store_image(session, path, platform.data_dir, owner="researcher")


def wait(platform, model, run_id):
    def done():
        with Session(platform.engine) as session:
            return session.get(model, run_id).status.is_terminal

    assert wait_for(done, timeout=120, every=0.2), "\n".join(w.output()[-3000:] for w in platform.workers)
    session = Session(platform.engine, expire_on_commit=False)
    return session, session.get(model, run_id)


def test_example_algorithm_then_evaluation(platform, tmp_path):
    with Session(platform.engine, expire_on_commit=False) as session:
        sockets = {
            "ct-image": session.scalar(select(Socket).filter_by(slug="ct-image")),  # grand-challenge's: images/ct
            "segmentation": Socket(slug="segmentation", title="Mask", kind="segmentation", created_by="t"),
            "foreground-fraction": Socket(slug="foreground-fraction", title="Fraction", kind="float", created_by="t"),
        }
        otsu = AlgorithmInterface(
            inputs=[sockets["ct-image"]], outputs=[sockets["segmentation"], sockets["foreground-fraction"]]
        )
        algorithm = Algorithm(
            slug="otsu", title="Otsu", created_by="researcher", container_image=ALGORITHM, interfaces=[otsu],
            cpu_limit=1, memory_limit_mb=1024, time_limit_s=120,
        )  # fmt: skip
        image = stored_volume(session, platform, tmp_path, "case-001.mha")
        job = AlgorithmJob(
            algorithm=algorithm, interface=otsu, creator="participant", cpu_limit=1, memory_limit_mb=1024,
            time_limit_s=120,
            inputs=[make_value(session, sockets["ct-image"], image=image)],
        )  # fmt: skip
        session.add(job)
        session.commit()
        TaskQueue.from_url(platform.redis.url).run(job)

    session, job = wait(platform, AlgorithmJob, job.id)
    assert job.status == "succeeded", (job.error_message, job.stderr_tail)
    outputs = {value.socket.slug: value for value in job.outputs}
    mask = outputs["segmentation"].image
    assert mask.dimensions == [48, 40, 32] and mask.spacing == pytest.approx([0.8, 0.8, 2.5])
    assert 0 < outputs["foreground-fraction"].value < 0.1
    assert job.container_digest == platform.docker.images.get(ALGORITHM).id

    # Ground truth: the job's own mask, named after the case, so Dice must be 1.
    truth = platform.data_dir / "ground-truth" / "spheres" / "final"
    truth.mkdir(parents=True)
    shutil.copy(platform.data_dir / mask.path, truth / "case-001.mha")
    challenge = Challenge(slug="spheres", title="Spheres", created_by="researcher")
    phase = Phase(
        challenge=challenge, slug="final", title="Final", submission_kind=SubmissionKind.ALGORITHM,
        method_image=EVALUATION, ground_truth_path="ground-truth/spheres/final", ground_truth_version="v1",
    )  # fmt: skip
    submission = Submission(phase=phase, creator="participant", algorithm=job.algorithm)
    evaluation = Evaluation(
        submission=submission, algorithm_jobs=[job], cpu_limit=1, memory_limit_mb=1024, time_limit_s=120
    )
    session.add(evaluation)
    session.commit()
    TaskQueue.from_url(platform.redis.url).run(evaluation)
    session.close()

    session, evaluation = wait(platform, Evaluation, evaluation.id)
    assert evaluation.status == "succeeded", (evaluation.error_message, evaluation.stderr_tail)
    assert evaluation.metrics["case"]["case-001"]["dice"] == pytest.approx(1.0)
    assert evaluation.metrics["aggregates"]["score"] == pytest.approx(1.0)
    assert evaluation.method_digest == platform.docker.images.get(EVALUATION).id
    assert evaluation.ground_truth_version == "v1" and evaluation.published
    assert session.query(Image).count() == 2
    session.close()
