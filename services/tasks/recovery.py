"""Recovering the records whose background task was lost: an upload session's import, a container
image's intake, an algorithm image's build, an upload handed over as a phase's ground truth, and an
algorithm's model. Each is pending or importing while its task is queued or running.

One whose RQ job Redis does not hold (Redis restarted without its data) is queued again. One whose
job died (its worker was killed, or the task failed in the platform) is tried once more, then failed
with a message that says so and what to do. A job that is queued, started or finished is left
alone: its id is the record's, so nothing is ever queued twice. A job whose worker was killed stays
started until RQ's registry cleaning (by the workers of its queue, between jobs) finds that its
heartbeat expired (see GcWorker.get_heartbeat_ttl) and fails it as abandoned.
"""

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from rq.job import JobStatus as RqStatus
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from ..core.events import import_ended
from ..core.orm import AlgorithmModel, ContainerImage, Phase, UploadFile, UploadSession, UploadStatus, advance
from ..core.orm.algorithm_models import MODELS_FOLDER
from ..core.orm.container_images import BUILDS_FOLDER
from ..core.paths import ground_truth_handover
from ..core.settings import ExecutionSettings
from ..core.status import UPLOAD_OPEN
from ..queue import Task, TaskQueue, task_job_id
from ..unpacking import remove_half_made
from . import algorithm_models, builds, intake
from .ground_truth import ground_truth_maker

log = logging.getLogger("gc-worker")

# The RQ statuses of a job that will not run again by itself.
ENDED_BADLY = (RqStatus.FAILED, RqStatus.STOPPED, RqStatus.CANCELED)


class Unrecoverable(Exception):
    """A record's task cannot be queued again; the message says why."""


class Recovery(NamedTuple):
    """What recovering needs: a database session, the worker's settings and the task queue."""

    session: Session
    settings: ExecutionSettings
    queue: TaskQueue


class Recoverable(NamedTuple):
    """A kind of record that a background task takes to its end."""

    work: str  # what the task does, in messages
    again: str  # what the record's owner may do once it is given up
    open: Select  # the records whose task is queued or running
    task: Task
    enqueue: Callable[[Recovery, Any, bool], None]  # queue a record's task (retried: after a job died)
    give_up: Callable[[Recovery, Any, str], None]  # fail a record with a message; remove what it left


def recover_tasks(recovery):
    """Queue again the tasks that Redis lost; try once more those whose job died, then fail them."""
    for kind in RECOVERABLE:
        for record in recovery.session.scalars(kind.open).all():
            recover(recovery, kind, record)


def recover(recovery, kind, record):
    job = recovery.queue.job(task_job_id(kind.task, record.id))
    if job is not None and job.get_status() not in ENDED_BADLY:
        return  # queued, running, or just ended: its job has it
    if job is not None and job.meta.get("retried"):
        kind.give_up(recovery, record, f"{kind.work} stopped twice without finishing (its worker died); {kind.again}")
        log.warning("%s of %s died again: failed", kind.work, noun(record))
        return
    if job is not None:
        recovery.queue.delete_ended_job(job)
    try:
        kind.enqueue(recovery, record, job is not None)
    except Unrecoverable as reason:
        kind.give_up(recovery, record, f"{kind.work} could not be started again: {reason}; {kind.again}")
        log.warning("%s of %s could not be queued again: %s", kind.work, noun(record), reason)
        return
    lost = "died: trying it once more" if job is not None else "had no job in Redis: queued again"
    log.warning("%s of %s %s", kind.work, noun(record), lost)


def noun(record):
    return f"{type(record).__name__} {record.id}"


def give_up_import(recovery, upload, message):
    upload.error_message = message
    advance(upload, UploadStatus.FAILED)
    import_ended(recovery.session, upload)
    recovery.session.commit()


def give_up_build(recovery, image, message):
    builds.refuse(recovery.session, image, Path(recovery.settings.data_dir, image.tarball_path), message)


def handover(recovery, file):
    """The phase that upload file ``file`` was handed over to as ground truth, with the folder and
    the archive of its task (as services/web/submissions.py gave them)."""
    for phase in recovery.session.scalars(select(Phase).options(joinedload(Phase.challenge))):
        folder, archive = ground_truth_handover(phase.challenge.slug, phase.slug, file.id)
        if Path(recovery.settings.data_dir, archive).is_file():
            return phase, folder, archive
    raise Unrecoverable("the upload is no longer in the folder of its phase (was the phase deleted?)")


def enqueue_ground_truth(recovery, file, retried):
    phase, folder, archive = handover(recovery, file)
    recovery.queue.make_ground_truth(
        phase_id=phase.id, upload_file_id=file.id, archive=archive, folder=folder, retried=retried
    )


def give_up_ground_truth(recovery, file, message):
    with contextlib.suppress(Unrecoverable):
        _phase, folder, archive = handover(recovery, file)
        remove_half_made(Path(recovery.settings.data_dir, folder), ground_truth_maker(file.id))
        Path(recovery.settings.data_dir, archive).unlink()
    file.message = message
    advance(file, UploadStatus.FAILED)
    recovery.session.commit()


def give_up_model(recovery, model, message):
    data_dir = Path(recovery.settings.data_dir)
    remove_half_made(data_dir / MODELS_FOLDER / str(model.algorithm_id), algorithm_models.model_maker(model))
    algorithm_models.refuse(recovery.session, model, message, data_dir / model.tarball_path)


is_build = ContainerImage.tarball_path.startswith(BUILDS_FOLDER)
RECOVERABLE = (
    Recoverable(
        "the import",
        "upload the files again",
        select(UploadSession).where(UploadSession.status == UploadStatus.IMPORTING),
        Task.IMPORT_UPLOAD_SESSION,
        lambda recovery, upload, retried: recovery.queue.import_upload(upload.id, retried=retried),
        give_up_import,
    ),
    Recoverable(
        "the check and load of the image",
        "upload the image again",
        select(ContainerImage).where(ContainerImage.status.in_(UPLOAD_OPEN), ~is_build),
        Task.LOAD_CONTAINER_IMAGE,
        lambda recovery, image, retried: recovery.queue.load_container_image(image.id, retried=retried),
        lambda recovery, image, message: intake.refuse(recovery.session, image, message),
    ),
    Recoverable(
        "the build",
        "start the build again",
        select(ContainerImage).where(ContainerImage.status.in_(UPLOAD_OPEN), is_build),
        Task.BUILD_ALGORITHM_IMAGE,
        lambda recovery, image, retried: recovery.queue.build(image.id, retried=retried),
        give_up_build,
    ),
    Recoverable(
        "the unpacking of the ground truth",
        "upload the ground truth again",
        # Only ground truth marks a file importing while its upload session is not.
        select(UploadFile).where(
            UploadFile.status == UploadStatus.IMPORTING,
            UploadFile.upload_session.has(UploadSession.status == UploadStatus.PENDING),
        ),
        Task.MAKE_GROUND_TRUTH,
        enqueue_ground_truth,
        give_up_ground_truth,
    ),
    Recoverable(
        "the unpacking of the model",
        "upload the model again",
        select(AlgorithmModel).where(AlgorithmModel.status.in_(UPLOAD_OPEN)),
        Task.UNPACK_ALGORITHM_MODEL,
        lambda recovery, model, retried: recovery.queue.unpack_algorithm_model(model.id, retried=retried),
        give_up_model,
    ),
)
