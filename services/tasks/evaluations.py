"""The task that runs one evaluation: a phase's evaluation method on a submission's predictions
(an uploaded file, or the outputs of the algorithm jobs it lists), against the ground truth."""

import json
from pathlib import Path

from sqlalchemy import select

from ..contract import OutputProblems, describe_job, place, read_json, write_value
from ..core.catalogue import PLATFORM
from ..core.errors import InvalidValue
from ..core.orm import ContainerImage, Evaluation, JobStatus, UploadStatus
from ..core.paths import check_ground_truth_path
from ..imaging.limits import ImportLimits
from ..runner import is_platform_image
from ..unpacking import CannotUnpack, archive_kind, unpack
from ..untrusted_files import UnsafeFile, UntrustedFolder
from .execution import collect_run_outputs, execute
from .image_sources import image_source
from .resources import resources

GROUND_TRUTH = "/opt/ml/input/data/ground_truth/"


def write_predictions(evaluation, input_dir, data_dir):
    """``/input/predictions.json`` (grand-challenge's shape) and each successful job's files."""
    entries = [
        describe_job(job, input_dir, data_dir) for job in evaluation.algorithm_jobs if job.status == JobStatus.SUCCEEDED
    ]
    (input_dir / "predictions.json").write_text(json.dumps(entries, indent=2))


def provision(session, evaluation, input_dir, _output_dir, runner):
    submission = evaluation.submission
    phase = submission.phase
    settings = resources().settings
    data_dir = settings.data_dir
    if not phase.method_image:
        raise InvalidValue(f"phase {phase.slug!r} has no evaluation method image yet; its admins must add one")
    source = image_source(session, settings, phase.method_image, phase.method_digest)
    evaluation.method_digest = source.get(runner, phase.method_image)
    uploaded_here = select(ContainerImage.id).filter_by(
        phase_id=phase.id, digest=evaluation.method_digest, status=UploadStatus.SUCCEEDED
    )
    if session.scalar(uploaded_here) is None and not is_platform_image(phase.method_image, settings.image_prefix):
        raise InvalidValue(
            f"the evaluation method of phase {phase.slug!r} was not uploaded for it; its admins upload it as a"
            " `docker save` tarball (POST …/phases/<phase>/method), then re-evaluate this submission"
        )
    evaluation.ground_truth_version = phase.ground_truth_version
    if submission.algorithm is not None:
        evaluation.algorithm_digest = submission.algorithm.container_digest
    if submission.predictions_path:
        unpack_predictions(Path(data_dir, submission.predictions_path), input_dir)
    else:
        write_predictions(evaluation, input_dir, data_dir)
    for value in submission.evaluation_inputs:  # the phase's additional inputs, at their paths
        write_value(value, input_dir, data_dir)
    mounts = {}
    if phase.ground_truth_path:
        checked = check_ground_truth_path(phase.ground_truth_path, phase.challenge.slug, data_dir)
        mounts[GROUND_TRUTH] = Path(data_dir, checked)
    return evaluation.method_digest, mounts


def unpack_predictions(predictions, input_dir):
    """The submitted predictions file at ``/input/<its name>``; a zip or a tarball (known by its
    bytes, not its name) unpacked into ``/input/``."""
    if archive_kind(predictions) is None:
        place(predictions, input_dir / predictions.name)
        return
    try:
        unpack(path=predictions, name="the predictions archive", into=input_dir, limits=ImportLimits())
    except CannotUnpack as problem:
        raise InvalidValue(str(problem)) from None


def finish(session, evaluation, folders):
    """Keep the metrics, then the values of the phase's additional outputs (collected as a job's
    outputs are: none is kept unless all of them are)."""
    try:
        with UntrustedFolder(folders.output) as output:
            evaluation.metrics = read_json(output, "metrics.json")
    except (InvalidValue, UnsafeFile) as problem:
        raise OutputProblems([str(problem)]) from None
    phase = evaluation.submission.phase
    # owned by the platform, not the submitter: an output may hold the hidden ground truth
    evaluation.outputs = collect_run_outputs(session, phase.evaluation_additional_outputs, folders, owner=PLATFORM)
    evaluation.published = phase.auto_publish


def run_evaluation(*, run_id):
    """Run evaluation ``run_id`` (queued) to its end."""
    return execute(Evaluation, "evaluation", run_id, provision=provision, finish=finish)
