"""Keeping Redis in line with the database, which is the source of truth for runs.

A run whose heartbeat stopped was lost with its worker (killed, node gone): its container is
removed and it is queued once more, or failed with a message that says so. A queued run that
Redis does not hold (Redis restarted without its data) is queued again. A submission none of
whose jobs is still to run, and that has no evaluation yet, is moved on.
"""

import logging
from datetime import UTC, datetime, timedelta

from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.orm import AlgorithmJob, Evaluation, Submission
from ..core.status import JobStatus, advance, retry
from ..queue import enqueue_run, rq_job_id
from .execution import RUNNING, run_label
from .submissions import continue_submission

log = logging.getLogger("gc-worker")

RUN_KINDS = {"algorithm-job": AlgorithmJob, "evaluation": Evaluation}


def reconcile(engine, connection, runner, settings):
    """One pass over the runs; returns how many were retried, failed and re-queued."""
    retried = failed = requeued = 0
    stale = datetime.now(UTC) - timedelta(seconds=settings.lost_after_s)
    with Session(engine) as session:
        to_enqueue = []
        for kind, model in RUN_KINDS.items():
            lost = select(model).where(model.status.in_(RUNNING), model.heartbeat_at < stale)
            for run in session.scalars(lost.with_for_update(skip_locked=True)):
                runner.remove_labelled(run_label(kind, run))
                worker = run.worker
                if run.attempt < settings.max_attempts:
                    retry(run)
                    to_enqueue.append((kind, run))
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
                if not Job.exists(rq_job_id(kind, run.id, run.attempt), connection=connection):
                    to_enqueue.append((kind, run))
                    requeued += 1
        session.commit()
        for kind, run in to_enqueue:
            enqueue_run(connection, kind, run)
        stalled = select(Submission.id).where(
            Submission.algorithm_id.is_not(None),
            ~Submission.evaluations.any(),
            ~Submission.jobs.any(AlgorithmJob.status.in_((JobStatus.QUEUED, *RUNNING))),
        )
        for submission_id in session.scalars(stalled).all():
            continue_submission(submission_id)
    if requeued:
        log.warning("queued %d run(s) that Redis did not hold", requeued)
    return retried, failed, requeued
