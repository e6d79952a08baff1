"""What a submission needs run next: the steps from a submission to its evaluation.

A predictions submission is evaluated at once. An algorithm submission runs on one case of the
phase's hidden archive first (the canary); if that succeeds, on the other cases, at most the
phase's ``algorithm_concurrency`` at a time; when every case has a finished job, the evaluation
compares the outputs of the successful ones with the ground truth. A failed canary ends the
submission with a failed evaluation that says why, before the other cases cost anything.

``next_runs`` only writes rows and returns them; the caller commits, then enqueues them. It is
called when a submission is made and each time one of its jobs ends, by whoever ended it; running
it twice is harmless (one job per case is a database constraint).
"""

from sqlalchemy import select

from .core.events import submission_evaluated
from .core.orm import AlgorithmJob, Evaluation, JobStatus, Submission, advance, interface_within, serving
from .core.status import JOB_ACTIVE

LIMITS = ("cpu_limit", "memory_limit_mb", "time_limit_s", "gpu")


def phase_limits(phase):
    return {limit: getattr(phase, limit) for limit in LIMITS}


def new_evaluation(submission, jobs=()):
    """A queued evaluation of ``submission`` (of ``jobs``' outputs for an algorithm), pinned to
    the algorithm digest its jobs ran."""
    phase = submission.phase
    digests = {job.container_digest for job in jobs if job.container_digest}
    return Evaluation(
        submission=submission,
        algorithm_jobs=list(jobs),
        algorithm_digest=digests.pop() if len(digests) == 1 else None,
        **phase_limits(phase),
    )


def job_for_case(submission, item):
    """A queued job of the submitted algorithm, with the image and model it was submitted with, on
    archive item ``item``'s values for the inputs of the phase's interface that the item fills
    (the one with the most inputs), run with the algorithm's interface that serves it; with no
    interface when none fits, which fails the job with the reason."""
    algorithm = submission.algorithm
    wanted = interface_within(submission.phase.algorithm_interfaces, [value.socket.slug for value in item.values])
    interface = wanted and serving(algorithm.interfaces, wanted)
    wanted = {socket.id for socket in interface.inputs} if interface else set()
    return AlgorithmJob(
        algorithm=algorithm,
        interface=interface,
        creator=submission.creator,
        submission_id=submission.id,
        archive_item=item,
        container_digest=submission.algorithm_digest,
        algorithm_model=submission.algorithm_model,
        inputs=[value for value in item.values if value.socket_id in wanted],
        **phase_limits(submission.phase),
    )


def next_runs(session, submission):
    """New runs (AlgorithmJob or Evaluation rows, added to ``session``) that ``submission`` needs
    queued now."""
    if submission.evaluations:
        return []
    if submission.algorithm is None:
        return [_add(session, new_evaluation(submission))]
    items = sorted(submission.phase.archive.items, key=lambda item: item.id)
    jobs = {
        job.archive_item_id: job for job in session.scalars(select(AlgorithmJob).filter_by(submission_id=submission.id))
    }
    canary = jobs.get(items[0].id) if items else None
    if canary is None:
        return [_add(session, job_for_case(submission, items[0]))] if items else []
    if canary.status in JOB_ACTIVE:
        return []
    if canary.status != JobStatus.SUCCEEDED:
        _fail_on_canary(session, submission, canary)
        return []
    running = sum(job.status in JOB_ACTIVE for job in jobs.values())
    waiting = [item for item in items if item.id not in jobs]
    if waiting:
        room = max(0, submission.phase.algorithm_concurrency - running)
        return [_add(session, job_for_case(submission, item)) for item in waiting[:room]]
    if running:
        return []
    succeeded = [job for job in jobs.values() if job.status == JobStatus.SUCCEEDED]
    return [_add(session, new_evaluation(submission, succeeded))]


def _add(session, run):
    session.add(run)
    return run


def _fail_on_canary(session, submission, canary):
    """End a submission whose algorithm failed on its first case with a failed evaluation."""
    evaluation = _add(session, new_evaluation(submission))
    evaluation.error_message = (
        f"the algorithm {canary.status} on the first case, so the others were not run; "
        "that case's job says why where you may read the case"
    )
    advance(evaluation, JobStatus.FAILED)
    submission_evaluated(session, evaluation)


def submission_of(session, job):
    """The submission an algorithm job was made for, or None."""
    return session.get(Submission, job.submission_id) if job.submission_id else None
