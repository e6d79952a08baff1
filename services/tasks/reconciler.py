"""Keeping Redis in line with the database, which is the source of truth for runs.

A run whose heartbeat stopped was lost with its worker (killed, node gone): its container is
removed and it is queued once more, or failed with a message that says so. A queued run that
Redis does not hold (Redis restarted without its data) is queued again. A submission none of
whose jobs is still to run, and that has no evaluation yet, is moved on. The longer background
tasks (imports, image intakes and builds, ground truth, models) are recovered likewise (see
tasks/recovery.py).

Each worker also sweeps its own Docker engine (:func:`sweep_orphans`): the reconciler removes a
lost run's container only from the engine of the worker that notices, which in a cluster is
seldom the one the run was on.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.orm import AlgorithmJob, Evaluation, Submission
from ..core.status import JOB_ACTIVE, JOB_STARTED, JobStatus, advance, retry
from .execution import run_label
from .recovery import Recovery, recover_tasks
from .submissions import continue_submission

log = logging.getLogger("gc-worker")

RUN_KINDS = {"algorithm-job": AlgorithmJob, "evaluation": Evaluation}


class Reconciled(NamedTuple):
    """What one pass did: runs lost with a worker and queued again, lost ones given up as failed,
    and queued ones that Redis did not hold and that were queued again."""

    retried: int
    failed: int
    requeued: int


def reconcile(resources):
    """One pass over the runs and the background tasks, with a worker process's Resources."""
    settings, engine, runner, queue = resources
    retried = failed = requeued = 0
    stale = datetime.now(UTC) - timedelta(seconds=settings.lost_after_s)
    with Session(engine) as session:
        to_enqueue = []
        for kind, model in RUN_KINDS.items():
            lost = select(model).where(model.status.in_(JOB_STARTED), model.heartbeat_at < stale)
            for run in session.scalars(lost.with_for_update(skip_locked=True)):
                runner.remove_labelled(run_label(kind, run))
                worker = run.worker
                if run.attempt < settings.max_attempts:
                    retry(run)
                    to_enqueue.append(run)
                    retried += 1
                    log.warning("%s %s was lost with worker %s: trying it again", kind, run.id, worker)
                else:
                    run.error_message = (
                        f"the worker running it ({worker}) stopped responding, {run.attempt} times; "
                        "the job was given up. Submit it again, or ask an admin to look at the workers"
                    )
                    advance(run, JobStatus.FAILED)
                    failed += 1
                    log.warning("%s %s was lost with worker %s again: failed", kind, run.id, worker)
            for run in session.scalars(select(model).where(model.status == JobStatus.QUEUED)):
                if not queue.holds(run):
                    to_enqueue.append(run)
                    requeued += 1
        session.commit()
        queue.runs(to_enqueue)
        stalled = select(Submission.id).where(
            Submission.algorithm_id.is_not(None),
            ~Submission.evaluations.any(),
            ~Submission.jobs.any(AlgorithmJob.status.in_(JOB_ACTIVE)),
        )
        for submission_id in session.scalars(stalled).all():
            continue_submission(submission_id)
        recover_tasks(Recovery(session, settings, queue))
    if requeued:
        log.warning("queued %d run(s) that Redis did not hold", requeued)
    return Reconciled(retried, failed, requeued)


def sweep_orphans(resources):
    """Remove the job and evaluation containers on this worker's engine whose run is not running
    with a live heartbeat (finished, retried elsewhere, given up, deleted); how many."""
    settings, engine, runner, _queue = resources
    found = runner.run_containers()
    if not found:
        return 0
    stale = datetime.now(UTC) - timedelta(seconds=settings.lost_after_s)
    with Session(engine) as session:
        live = {
            run_label(kind, run)
            for kind, model in RUN_KINDS.items()
            for run in session.scalars(select(model).where(model.status.in_(JOB_STARTED), model.heartbeat_at >= stale))
        }
    orphans = [
        container for container, label in found.items() if label.rpartition("-")[0] in RUN_KINDS and label not in live
    ]
    for container in orphans:
        runner.remove_container(container)
        log.warning("removed container %s of a run that no worker runs (%s)", container[:12], found[container])
    return len(orphans)
