"""The job queues: the one place that names them and the tasks, and that enqueues work.

A :class:`TaskQueue` on a Redis connection has one method per kind of work (a run, an import,
an intake, a build, ground truth); each knows its task, its queue, its RQ job id and how long it
may take. The services and the workers use nothing else to hand work over.
"""

from enum import StrEnum

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job


class QueueName(StrEnum):
    """Queues, named after the work they hold."""

    IMPORT = "import"
    CPU = "cpu"
    GPU = "gpu"
    EVALUATION = "evaluation"
    MAIL = "mail"


class Task(StrEnum):
    """What a worker runs: the dotted path of a keyword-only function of ids."""

    RUN_ALGORITHM_JOB = "services.tasks.run_algorithm_job"
    RUN_EVALUATION = "services.tasks.run_evaluation"
    LOAD_CONTAINER_IMAGE = "services.tasks.load_container_image"
    BUILD_ALGORITHM_IMAGE = "services.tasks.build_algorithm_image"
    MAKE_GROUND_TRUTH = "services.tasks.ground_truth.make_ground_truth"
    UNPACK_ALGORITHM_MODEL = "services.tasks.algorithm_models.unpack_algorithm_model"
    IMPORT_UPLOAD_SESSION = "services.imaging.tasks.import_upload_session"
    DRAW_THUMBNAIL = "services.tasks.thumbnails.draw_thumbnail"
    SEND_MAIL = "services.tasks.mail.send_notification_mail"


class QueueUnreachable(Exception):
    """Redis did not take the work; nothing was queued."""


# Time a run may take beyond its container's time limit (provisioning, pulling outputs in).
RUN_MARGIN_S = 600
# The kind of run (in run labels and RQ job ids) of each run table, and the task that runs it.
RUN_KINDS = {"algorithm_jobs": "algorithm-job", "evaluations": "evaluation"}
RUN_TASKS = {"algorithm-job": Task.RUN_ALGORITHM_JOB, "evaluation": Task.RUN_EVALUATION}
IMPORT_TIMEOUT_S = 6 * 3600  # seconds a worker may spend on one session's import
INTAKE_TIMEOUT_S = 3600
BUILD_TIMEOUT_S = 1800
GROUND_TRUTH_TIMEOUT_S = 6 * 3600
MODEL_TIMEOUT_S = 6 * 3600
THUMBNAIL_TIMEOUT_S = 3600
THUMBNAIL_RETRY_S = 3600  # a thumbnail the importer could not draw is not tried again before this
MAIL_TIMEOUT_S = 120


def connect(redis_url):
    """A Redis connection for ``redis://…`` or ``unix://…`` URLs."""
    return Redis.from_url(redis_url, socket_connect_timeout=5)


def run_kind(run):
    """``algorithm-job`` or ``evaluation``: the kind of an AlgorithmJob or Evaluation row."""
    return RUN_KINDS[run.__tablename__]


def run_queue(kind, gpu):
    """Where a container run goes: GPU runs to the gpu queue, evaluations to their own queue
    (they wait for algorithm jobs, never the other way round), the rest to cpu."""
    if gpu:
        return QueueName.GPU
    return QueueName.EVALUATION if kind == "evaluation" else QueueName.CPU


def rq_job_id(run):
    """The RQ job id of the current attempt of a run: one run is never queued twice under two ids."""
    return f"{run_kind(run)}-{run.id}-{run.attempt}"


# The RQ job id of a background task is this and its record's id: one job per record.
JOB_PREFIXES = {
    Task.IMPORT_UPLOAD_SESSION: "import-upload-session",
    Task.LOAD_CONTAINER_IMAGE: "container-image",
    Task.BUILD_ALGORITHM_IMAGE: "build",
    Task.MAKE_GROUND_TRUTH: "ground-truth",
    Task.UNPACK_ALGORITHM_MODEL: "algorithm-model",
}


def task_job_id(task, record_id):
    """The RQ job id of background ``task`` for the record ``record_id`` it takes to its end."""
    return f"{JOB_PREFIXES[task]}-{record_id}"


def retry_meta(retried):
    """The RQ meta of a background task's job: ``retried`` marks the one retry after a job that died."""
    return {"retried": True} if retried else {}


class TaskQueue:
    """Hands work to the workers through Redis (``connection``); rows must be committed first."""

    def __init__(self, connection):
        self.connection = connection

    @classmethod
    def from_url(cls, redis_url):
        return cls(connect(redis_url))

    def push(self, queue_name, task, arguments, options):
        """The one call that reaches Redis: queue ``task(**arguments)`` on ``queue_name`` with
        RQ's ``options`` (job id, timeout, …)."""
        Queue(QueueName(queue_name).value, connection=self.connection).enqueue(task.value, kwargs=arguments, **options)

    def _enqueue(self, queue_name, task, arguments, **options):
        try:
            self.push(queue_name, task, arguments, options)
        except (RedisError, OSError) as error:
            raise QueueUnreachable(f"Redis did not take {task.name.lower()}: {error}") from error

    def run(self, run):
        """Queue ``run`` (an AlgorithmJob or Evaluation row) for a worker, where it belongs."""
        kind = run_kind(run)
        self._enqueue(
            run_queue(kind, run.gpu),
            RUN_TASKS[kind],
            {"run_id": run.id},
            job_id=rq_job_id(run),
            job_timeout=run.time_limit_s + RUN_MARGIN_S,
            result_ttl=600,
            failure_ttl=24 * 3600,
        )

    def runs(self, runs):
        for run in runs:
            self.run(run)

    def holds(self, run):
        """Whether Redis holds the current attempt of ``run`` (queued, running or just ended)."""
        return self.holds_job(rq_job_id(run))

    def holds_job(self, job_id):
        """Whether Redis holds RQ job ``job_id`` (queued, running, or ended within its TTL)."""
        return Job.exists(job_id, connection=self.connection)

    def job(self, job_id):
        """RQ job ``job_id``, or None if Redis holds none."""
        return Job.fetch(job_id, connection=self.connection) if self.holds_job(job_id) else None

    def delete_ended_job(self, job):
        """Delete ``job``, which failed or was stopped, so that its id may be queued again. Its
        executions' registry goes first: RQ cannot delete a job one of whose executions expired
        before that registry's entry of it (a job its worker abandoned)."""
        self.connection.delete(job.execution_registry.key)
        job.delete()

    def import_upload(self, upload_session_id, *, retried=False):
        """Queue the import of an upload session."""
        self._enqueue(
            QueueName.IMPORT,
            Task.IMPORT_UPLOAD_SESSION,
            {"upload_session_id": upload_session_id},
            job_id=task_job_id(Task.IMPORT_UPLOAD_SESSION, upload_session_id),
            job_timeout=IMPORT_TIMEOUT_S,
            meta=retry_meta(retried),
        )

    def load_container_image(self, container_image_id, *, retried=False):
        """Queue the check and load of an uploaded container image tarball."""
        self._enqueue(
            QueueName.CPU,
            Task.LOAD_CONTAINER_IMAGE,
            {"container_image_id": container_image_id},
            job_id=task_job_id(Task.LOAD_CONTAINER_IMAGE, container_image_id),
            job_timeout=INTAKE_TIMEOUT_S,
            meta=retry_meta(retried),
        )

    def build(self, container_image_id, *, retried=False):
        """Queue the build of an algorithm image from a build record."""
        self._enqueue(
            QueueName.CPU,
            Task.BUILD_ALGORITHM_IMAGE,
            {"container_image_id": container_image_id},
            job_id=task_job_id(Task.BUILD_ALGORITHM_IMAGE, container_image_id),
            job_timeout=BUILD_TIMEOUT_S,
            meta=retry_meta(retried),
        )

    def make_ground_truth(self, *, phase_id, upload_file_id, archive, folder, retried=False):
        """Queue the unpacking of an upload as a phase's ground truth (see tasks/ground_truth.py)."""
        self._enqueue(
            QueueName.IMPORT,
            Task.MAKE_GROUND_TRUTH,
            {"phase_id": phase_id, "upload_file_id": upload_file_id, "archive": archive, "folder": folder},
            job_id=task_job_id(Task.MAKE_GROUND_TRUTH, upload_file_id),
            job_timeout=GROUND_TRUTH_TIMEOUT_S,
            meta=retry_meta(retried),
        )

    def unpack_algorithm_model(self, algorithm_model_id, *, retried=False):
        """Queue the check and unpacking of an algorithm's uploaded model (see tasks/algorithm_models.py)."""
        self._enqueue(
            QueueName.IMPORT,
            Task.UNPACK_ALGORITHM_MODEL,
            {"algorithm_model_id": algorithm_model_id},
            job_id=task_job_id(Task.UNPACK_ALGORITHM_MODEL, algorithm_model_id),
            job_timeout=MODEL_TIMEOUT_S,
            meta=retry_meta(retried),
        )

    def draw_thumbnail(self, image_id):
        """Queue the drawing of an image's missing thumbnail, unless it is queued, being drawn,
        or was tried within THUMBNAIL_RETRY_S."""
        job_id = f"thumbnail-{image_id}"
        try:
            if self.holds_job(job_id):
                return
        except (RedisError, OSError) as error:
            raise QueueUnreachable(f"Redis did not answer: {error}") from error
        self._enqueue(
            QueueName.IMPORT,
            Task.DRAW_THUMBNAIL,
            {"image_id": image_id},
            job_id=job_id,
            job_timeout=THUMBNAIL_TIMEOUT_S,
            result_ttl=60,
            failure_ttl=THUMBNAIL_RETRY_S,
        )

    def send_mail(self, notification_id, attempt):
        """Queue the e-mail of a notification (its ``attempt``-th try: one RQ job per try)."""
        self._enqueue(
            QueueName.MAIL,
            Task.SEND_MAIL,
            {"notification_id": notification_id},
            job_id=f"mail-{notification_id}-{attempt}",
            job_timeout=MAIL_TIMEOUT_S,
            result_ttl=600,
            failure_ttl=24 * 3600,
        )

    def workers_by_queue(self):
        """How many workers listen on each queue right now."""
        counts = {name.value: 0 for name in QueueName}
        for worker in Worker.all(connection=self.connection):
            for name in worker.queue_names():
                counts[name] = counts.get(name, 0) + 1
        return counts
