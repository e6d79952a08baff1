"""The task that runs one algorithm job: its inputs in /input, its model (if any) read-only at
/opt/ml/model/, its outputs back as values."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contract import provision_inputs
from ..core.errors import InvalidValue
from ..core.orm import AlgorithmJob
from .execution import collect_run_outputs, execute
from .image_sources import image_source
from .resources import resources
from .submissions import continue_submission

MODEL = "/opt/ml/model/"


def provision(session, job, input_dir, _output_dir, runner):
    algorithm = job.algorithm
    if not algorithm.container_image:
        raise InvalidValue(f"algorithm {algorithm.slug!r} has no container image yet; upload one first")
    given = sorted(value.socket.slug for value in job.inputs)
    if job.interface is None or list(job.interface.key) != given:
        takes = " or ".join(f"{{{', '.join(i.key)}}}" for i in algorithm.interfaces) or "nothing yet"
        raise InvalidValue(
            f"algorithm {algorithm.slug!r} takes {takes}, and the job has values for {{{', '.join(given)}}}:"
            " no interface of the algorithm fits them"
        )
    pinned = job.container_digest  # a submission's jobs run the image as it was when submitted
    reference = pinned or algorithm.container_image
    source = image_source(session, resources().settings, reference, pinned or algorithm.container_digest)
    job.container_digest = source.get(runner, reference)
    provision_inputs(job.inputs, input_dir, resources().settings.data_dir)
    return job.container_digest, model_mounts(job, resources().settings.data_dir)


def model_mounts(job, data_dir):
    """The job's model (the one it was made with), read-only at /opt/ml/model/; none without one."""
    model = job.algorithm_model
    if model is None:
        return {}
    folder = Path(data_dir, model.folder)
    if not folder.is_dir():
        raise InvalidValue(
            f"model {model.id} (sha256 {model.sha256}) of algorithm {job.algorithm.slug!r} is missing from the"
            " platform's storage; its editors upload it again"
        )
    return {MODEL: folder}


def finish(session, job, folders):
    job.outputs = collect_run_outputs(session, job.interface.outputs, folders, owner=job.creator)


def run_algorithm_job(*, run_id):
    """Run algorithm job ``run_id`` (queued) to its end; then move its submission on, if any."""
    try:
        return execute(AlgorithmJob, "algorithm-job", run_id, provision=provision, finish=finish)
    finally:
        with Session(resources().engine) as session:
            submission_id = session.scalar(select(AlgorithmJob.submission_id).filter_by(id=run_id))
        if submission_id is not None:
            continue_submission(submission_id)
