"""What every container run goes through on a worker: claimed, provisioned, executed in the
sandbox, its outcome turned into a status and a message a person can act on.

The database is the source of truth: a run moves QUEUED → PROVISIONING only by a compare-and-set,
so a run queued twice (a reconciler re-enqueued it, say) still runs once.
"""

import logging
import os
import shutil
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from rq import get_current_job
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..contract import OutputProblems, collect_outputs, new_run_folders
from ..core.errors import GcError
from ..core.events import run_ended
from ..core.status import JOB_STARTED, JobStatus, advance
from ..runner import RUN_LABEL, ImageRefused, RunSpec, Sandbox, folder_size
from .resources import resources

log = logging.getLogger("gc-worker")


def node_has_gpu(settings, runner):
    """Whether this node gives containers GPUs: as gc-worker decided (--gpu), else detected."""
    decided = settings.worker_has_gpu
    return decided if decided is not None else runner.has_gpu()


def worker_name():
    """The name of the RQ worker running the current job, else this host and process."""
    job = get_current_job()
    return (job and job.worker_name) or f"{socket.gethostname()}.{os.getpid()}"


def run_label(run_kind, run):
    return f"{run_kind}-{run.id}"


def sandbox_for(run, settings):
    """The sandbox of a run: its own limits plus the worker's output and process limits."""
    return Sandbox(
        cpu_limit=run.cpu_limit,
        memory_limit_mb=run.memory_limit_mb,
        time_limit_s=run.time_limit_s,
        gpu=run.gpu,
        pids_limit=settings.pids_limit,
        output_limit_mb=settings.output_limit_mb,
    )


def claim(session, model, run_id):
    """Take run ``run_id`` if it is still queued; whether this worker got it."""
    now = datetime.now(UTC)
    taken = session.execute(
        update(model)
        .where(model.id == run_id, model.status == JobStatus.QUEUED)
        .values(status=JobStatus.PROVISIONING, worker=worker_name(), heartbeat_at=now)
    ).rowcount
    session.commit()
    return taken == 1


def start(session, model, run_id, attempt):
    """Move a provisioned run to executing unless it was cancelled (or given up) while its
    inputs were laid out; whether it was. A condition in the UPDATE, not a status read before it:
    a cancel that commits in between would otherwise be overwritten."""
    started = session.execute(
        update(model)
        .where(model.id == run_id, model.attempt == attempt, model.status == JobStatus.PROVISIONING)
        .values(status=JobStatus.EXECUTING, started_at=datetime.now(UTC))
    ).rowcount
    session.commit()
    return started == 1


def describe_minutes(seconds):
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def outcome_problem(outcome, sandbox, output_bytes=0):
    """Why a container run failed, in words; None when it exited 0 by itself and left at most
    its output limit (``output_bytes``, counted once it ended: sparse files count in full).

    Written for those who see the run's logs; the services give other readers a version of their
    own (services/web/submissions.py)."""
    if outcome.stopped_because == "time limit":
        return f"time limit of {describe_minutes(sandbox.time_limit_s)} exceeded; the container was stopped"
    if outcome.stopped_because == "output limit":
        return f"the container wrote more than the {sandbox.output_limit_mb} MB allowed in /output; it was stopped"
    if output_bytes > sandbox.output_limit_mb * 1024 * 1024:
        return f"the container wrote more than the {sandbox.output_limit_mb} MB allowed in /output"
    if outcome.oom_killed or outcome.exit_code == 137:
        return f"the container ran out of memory (limit {sandbox.memory_limit_mb / 1024:g} GB)"
    if outcome.exit_code:
        return f"the container exited with code {outcome.exit_code}; the end of its stderr says why"
    return None


class Watch:
    """The callbacks a runner calls while a container runs: a heartbeat in the database, and
    whether the run was cancelled (asked at most every ``every_s``)."""

    def __init__(self, engine, model, run_id, every_s=0.5):
        self.engine, self.model, self.run_id, self.every_s = engine, model, run_id, every_s
        self.last_asked = 0.0
        self.was_cancelled = False

    def heartbeat(self):
        with Session(self.engine) as session:
            session.execute(
                update(self.model)
                .where(self.model.id == self.run_id, self.model.status.in_(JOB_STARTED))
                .values(heartbeat_at=datetime.now(UTC))
            )
            session.commit()

    def cancelled(self):
        now = time.monotonic()
        if now - self.last_asked >= self.every_s:
            self.last_asked = now
            with Session(self.engine) as session:
                status = session.scalar(select(self.model.status).where(self.model.id == self.run_id))
            self.was_cancelled = status == JobStatus.CANCELLED
        return self.was_cancelled


def execute(model, run_kind, run_id, *, provision, finish):
    """Run one queued row of ``model`` (AlgorithmJob or Evaluation).

    ``provision(session, run, input_dir, output_dir, runner)`` lays out /input and returns
    ``(image, read_only_mounts)``; ``finish(session, run, folders)`` (contract.RunFolders) stores
    the outputs. Either raises GcError (or ImageRefused) with a message for the submitter; a
    message never holds an exception's own text (it may quote an output of a hidden case)."""
    settings, engine, runner, queue = resources()
    with Session(engine) as session:
        run = session.get(model, run_id)
        if run is None or run.status != JobStatus.QUEUED:
            log.info("%s %s is %s; nothing to do", run_kind, run_id, run and run.status)
            return
        if run.gpu and not node_has_gpu(settings, runner):
            log.warning("%s %s needs a GPU and this node has none: back to the gpu queue", run_kind, run_id)
            queue.run(run)
            return "needs a GPU"
        if not claim(session, model, run_id):
            return
        run = session.get(model, run_id)
        label, attempt = run_label(run_kind, run), run.attempt
        folder = os.path.join(settings.data_dir, "runs", label)
        try:
            return _execute(session, run, engine, runner, settings, label, folder, provision, finish)
        except Exception as error:
            log.exception("%s failed on the platform's side", label)
            session.rollback()
            run = session.get(model, run_id)
            if run.attempt == attempt:  # else the reconciler gave this attempt up and queued the next
                problem = (
                    f"the platform could not run it ({type(error).__name__}); this is not the container's doing:"
                    " the hub's admins find why in the worker's log (ask them), or try again later"
                )
                fail(session, run, problem)
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _execute(session, run, engine, runner, settings, label, folder, provision, finish):
    model, run_id, attempt = type(run), run.id, run.attempt  # kept: the commit below expires ``run``
    sandbox = sandbox_for(run, settings)
    folders = new_run_folders(Path(folder))
    try:
        image, mounts = provision(session, run, folders.input, folders.output, runner)
    except (GcError, ImageRefused) as problem:
        return fail(session, run, str(problem))
    if not start(session, model, run_id, attempt):
        return "cancelled"
    watch = Watch(engine, model, run_id)
    spec = RunSpec(
        image=image,
        sandbox=sandbox,
        input_dir=folders.input,
        output_dir=folders.output,
        name=f"{settings.instance}-{label}",
        labels={RUN_LABEL: label},
        read_only_mounts=mounts,
        retry=attempt > 1,
    )
    outcome = runner.run(spec, cancelled=watch.cancelled, heartbeat=watch.heartbeat, heartbeat_s=settings.heartbeat_s)
    session.refresh(run, with_for_update=True)
    if run.attempt != attempt:  # given up as lost meanwhile (a heartbeat came too late): not ours
        session.commit()
        log.warning("%s attempt %s was given up while it ran; its result is dropped", label, attempt)
        return "superseded"
    run.exit_code = outcome.exit_code
    run.stdout_tail, run.stderr_tail = outcome.stdout_tail, outcome.stderr_tail
    if run.status == JobStatus.CANCELLED or outcome.stopped_because == "cancelled":
        session.commit()
        return "cancelled"
    problem = outcome_problem(outcome, sandbox, folder_size(folders.output))
    if problem:
        return fail(session, run, problem)
    try:
        finish(session, run, folders)
    except OutputProblems as problems:
        session.rollback()
        session.refresh(run)
        run.exit_code = outcome.exit_code
        run.stdout_tail, run.stderr_tail = outcome.stdout_tail, outcome.stderr_tail
        return fail(session, run, f"invalid outputs: {problems}")
    advance(run, JobStatus.SUCCEEDED)
    run_ended(session, run)
    session.commit()
    log.info("%s succeeded in %.2f s", label, outcome.seconds)
    return "succeeded"


def collect_run_outputs(session, sockets, folders, *, owner):
    """A run's values for ``sockets`` (contract.collect_outputs), each file within this worker's
    output limit, its images owned by ``owner``."""
    settings, runner = resources().settings, resources().runner
    max_bytes = settings.output_limit_mb * 1024 * 1024
    return collect_outputs(
        session, sockets, folders, settings.data_dir, owner=owner, max_bytes=max_bytes, runner=runner
    )


def fail(session, run, message):
    """Fail ``run`` with ``message`` (unless it was cancelled meanwhile)."""
    if run.status.is_terminal:
        session.commit()
        return str(run.status)
    run.error_message = message
    advance(run, JobStatus.FAILED)
    run_ended(session, run)
    session.commit()
    log.info("%s %s failed: %s", type(run).__name__, run.id, message)
    return "failed"
