"""The job queues: the one place that names them, and the connection to Redis."""

from enum import StrEnum

from redis import Redis
from rq import Queue, Worker


class QueueName(StrEnum):
    """Queues, named after the work they hold."""

    IMPORT = "import"
    CPU = "cpu"
    GPU = "gpu"
    EVALUATION = "evaluation"


def connect(redis_url):
    """A Redis connection for ``redis://…`` or ``unix://…`` URLs."""
    return Redis.from_url(redis_url, socket_connect_timeout=5)


def queue(name, connection):
    return Queue(QueueName(name).value, connection=connection)


def workers_by_queue(connection):
    """How many workers listen on each queue right now."""
    counts = {name.value: 0 for name in QueueName}
    for worker in Worker.all(connection=connection):
        for name in worker.queue_names():
            counts[name] = counts.get(name, 0) + 1
    return counts


# Time a run may take beyond its container's time limit (provisioning, pulling outputs in).
RUN_MARGIN_S = 600


def run_queue(run_kind, gpu):
    """Where a container run goes: GPU runs to the gpu queue, evaluations to their own queue
    (they wait for algorithm jobs, never the other way round), the rest to cpu."""
    if gpu:
        return QueueName.GPU
    return QueueName.EVALUATION if run_kind == "evaluation" else QueueName.CPU


def rq_job_id(run_kind, run_id, attempt):
    """The RQ job id of one attempt of a run: the same run is never queued twice under two ids."""
    return f"{run_kind}-{run_id}-{attempt}"


RUN_KINDS = {"algorithm_jobs": "algorithm-job", "evaluations": "evaluation"}


def enqueue_runs(connection, runs):
    """Queue committed AlgorithmJob and Evaluation rows, each where it belongs."""
    for run in runs:
        enqueue_run(connection, RUN_KINDS[run.__tablename__], run)


def enqueue_run(connection, run_kind, run, *, at_front=False):
    """Queue ``run`` (an AlgorithmJob or Evaluation row, committed) for a worker."""
    function = {"algorithm-job": "run_algorithm_job", "evaluation": "run_evaluation"}[run_kind]
    return queue(run_queue(run_kind, run.gpu), connection).enqueue(
        f"services.tasks.{function}",
        run_id=run.id,
        job_id=rq_job_id(run_kind, run.id, run.attempt),
        job_timeout=run.time_limit_s + RUN_MARGIN_S,
        result_ttl=600,
        failure_ttl=24 * 3600,
        at_front=at_front,
    )


IMPORT_TASK = "services.imaging.tasks.import_upload_session"
IMPORT_TIMEOUT = 6 * 3600  # seconds a worker may spend on one session's import


def import_job_id(upload_session_id):
    return f"import-upload-session-{upload_session_id}"


def queue_import(connection, upload_session_id, **meta):
    """Queue the import of a committed upload session."""
    return queue(QueueName.IMPORT, connection).enqueue(
        IMPORT_TASK,
        upload_session_id=upload_session_id,
        job_timeout=IMPORT_TIMEOUT,
        job_id=import_job_id(upload_session_id),
        meta=meta,
    )
