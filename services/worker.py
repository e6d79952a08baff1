"""``gc-worker``: an RQ worker for gc-hub's queues, on any node with a Docker engine.

gc-worker --queues cpu evaluation --redis-url redis://hub:6379/0 --data-dir /shared/gc-hub
"""

import argparse
import logging
import math
import os
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.worker import WorkerStatus

from . import tasks  # noqa: F401 (loaded once, before the first job)
from .core.settings import ExecutionSettings, environment_values
from .imaging import tasks as imaging_tasks  # noqa: F401 (the same)
from .metrics import serve_metrics
from .queue import QueueName, connect
from .runner import Runner
from .tasks.execution import node_has_gpu
from .tasks.reconciler import reconcile, sweep_orphans
from .tasks.reminders import remind
from .tasks.resources import resources

log = logging.getLogger("gc-worker")


class Heartbeats:
    """Calls ``beat()`` every ``every_s`` seconds on a thread of its own until :meth:`stop`."""

    def __init__(self, beat, every_s):
        self.beat, self.every_s = beat, every_s
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="rq-heartbeats", daemon=True)
        self.thread.start()

    def _beat(self):
        while not self.stopped.wait(self.every_s):
            try:
                self.beat()
            except RedisError as error:  # Redis away for a while: the next beat may reach it
                log.warning("could not renew the worker's heartbeat in Redis: %s", error)

    def stop(self):
        self.stopped.set()
        self.thread.join()


class GcWorker(SimpleWorker):
    """An RQ worker that runs each job in its own process, and between jobs reconciles the
    database's runs with Redis (one worker at a time, under a Redis lock).

    RQ's default worker forks a work horse per job, which then opens its own database engine
    and Docker client and warms every cache again; here a job finds them ready. While a job
    runs, a thread renews the worker's and the job's heartbeats in Redis as RQ's forking
    worker does while it waits for its horse, so a worker that dies with its job is noticed as
    soon (the job's own heartbeat in the database is the runner's, see tasks/execution.py).
    RQ fails a job as abandoned once its heartbeat is ``abandoned_after_s`` old (see
    tasks/recovery.py), when it cleans the queue's registries."""

    heartbeats = None

    def __init__(self, *args, job_monitoring_interval=30, abandoned_after_s=60, **kwargs):
        # Whole seconds: RQ passes the interval (plus 60) to Redis's EXPIRE, which refuses "61.0".
        super().__init__(*args, job_monitoring_interval=max(1, math.ceil(job_monitoring_interval)), **kwargs)
        self.abandoned_after_s = abandoned_after_s

    def execute_job(self, job, queue):
        execution = self.prepare_execution(job)
        self.heartbeats = Heartbeats(lambda: self.maintain_heartbeats(job, execution), self.job_monitoring_interval)
        try:
            self.perform_job(job, queue, execution)
        finally:
            self.heartbeats.stop()
        self.set_state(WorkerStatus.IDLE)

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        self.heartbeats.stop()  # before RQ ends the execution that the thread renews
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)
        with self.connection.pipeline() as batch:  # its three commands in one round trip to Redis
            super().heartbeat(timeout, batch)
            batch.execute()

    def get_heartbeat_ttl(self, job, working_time=0.0):
        # As the forking worker's, with abandoned_after_s for its 60 s: heartbeats are renewed while
        # the job runs (SimpleWorker's would keep a dead worker listed until the job's whole
        # timeout had passed).
        remaining = job.timeout - working_time if job.timeout and job.timeout > 0 else math.inf
        return math.ceil(min(remaining, self.job_monitoring_interval) + self.abandoned_after_s)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            sweep_orphans(resources())  # this node's engine: every worker sweeps its own
        except StopRequested:
            raise
        except Exception:
            log.exception("sweeping orphaned containers failed; trying again in %s s", self.maintenance_interval)
        lock = self.connection.lock("gc-hub:reconciler", timeout=60, blocking=False)
        if not lock.acquire():
            return
        try:
            reconcile(resources())
            remind(resources())
        except StopRequested:  # a stop signal arrived meanwhile: rq's way of leaving its loop
            raise
        except Exception:
            log.exception("reconciling runs failed; trying again in %s s", self.maintenance_interval)
        finally:
            lock.release()
        if self._shutdown_requested_date is not None:
            # The stop signal's StopRequested can be lost inside a library (a database call that
            # it interrupts becomes an OperationalError): leave rq's loop all the same.
            raise StopRequested()


def parse_args(argv=None):
    """The command line; its defaults come from the ``GC_*`` variables (ExecutionSettings)."""
    settings, given = ExecutionSettings(), environment_values(ExecutionSettings)
    parser = argparse.ArgumentParser(prog="gc-worker", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--queues",
        nargs="+",
        default=[QueueName.IMPORT, QueueName.CPU, QueueName.EVALUATION, QueueName.MAIL],
        choices=[q.value for q in QueueName],
        help="queues to take jobs from, first has priority (run 'gpu' only on a GPU node)",
    )
    parser.add_argument(
        "--redis-url",
        default=given.get("redis_url", ""),
        help="Redis holding the queues (default: $GC_REDIS_URL)",
    )
    parser.add_argument(
        "--data-dir",
        default=settings.data_dir,
        help="the platform's data folder, shared with the hub (default: $GC_DATA_DIR or ./data)",
    )
    parser.add_argument(
        "--reconcile-every",
        type=float,
        default=settings.reconcile_every_s,
        help="seconds between passes that recover runs lost with a worker or with Redis (default: 10)",
    )
    parser.add_argument(
        "--gpu",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether this node's engine gives containers GPUs (default: detect the NVIDIA runtime)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        help="serve Prometheus metrics of the platform (queues, runs, workers by node) on this port (default: 0, none)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=60,
        help="seconds to keep trying to reach Redis at start (default: 60)",
    )
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("no Redis: pass --redis-url redis://host:6379/0 or set GC_REDIS_URL")
    return args


def without_password(url):
    """``url`` with its password (if any) hidden, for logs and messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def wait_for_redis(url, timeout):
    """A connection to ``url`` once Redis answers; it may still be starting beside us."""
    connection = connect(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.ping()
            return connection
        except (RedisConnectionError, FileNotFoundError) as e:
            if time.monotonic() > deadline:
                shown = without_password(url)
                raise SystemExit(f"gc-worker: Redis at {shown} did not answer within {timeout:g} s ({e})") from None
            time.sleep(0.2)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[gc-worker %(asctime)s %(levelname)s] %(message)s")
    os.environ["GC_DATA_DIR"] = os.path.abspath(args.data_dir)
    os.environ["GC_REDIS_URL"] = args.redis_url
    connection = wait_for_redis(args.redis_url, args.connect_timeout)
    queues = [str(q) for q in args.queues]
    engine = Runner()
    has_gpu = args.gpu if args.gpu is not None else node_has_gpu(ExecutionSettings(), engine)
    if QueueName.GPU in queues and not has_gpu:
        raise SystemExit(
            "gc-worker: this node's Docker engine has no GPU runtime (nvidia), so it must not take the "
            "'gpu' queue: leave 'gpu' out of --queues, or pass --gpu if the engine does give GPUs"
        )
    # What was decided, for every ExecutionSettings read from here on (the jobs' resources too).
    os.environ["GC_DOCKER_API_VERSION"] = engine.api_version
    os.environ["GC_WORKER_HAS_GPU"] = "1" if has_gpu else "0"
    if args.metrics_port:
        serve_metrics(args.metrics_port, resources().engine, connection)
        log.info("metrics at http://0.0.0.0:%s/metrics", args.metrics_port)
    log.info("working on queues %s from %s", ", ".join(queues), without_password(args.redis_url))
    # RQ blocks on Redis for worker_ttl - 15 s between jobs: that paces the reconciler too.
    worker_ttl = max(20, math.ceil(args.reconcile_every) + 15)
    settings = ExecutionSettings()
    worker = GcWorker(
        queues,
        connection=connection,
        maintenance_interval=args.reconcile_every,
        worker_ttl=worker_ttl,
        job_monitoring_interval=settings.heartbeat_s,  # as often as a run's heartbeat
        abandoned_after_s=settings.lost_after_s,  # and as soon lost
    )
    worker.work(with_scheduler=False)


if __name__ == "__main__":
    main()
