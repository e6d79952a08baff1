"""Prometheus metrics of the platform as a whole, read when scraped: jobs waiting in each queue,
runs by kind and state, how long ended runs took, and workers by node and queue. Every gc-worker
serves them with ``--metrics-port``, every service at ``metrics`` (services/web/operations.py);
JupyterHub's own ``/hub/metrics`` has the spawns."""

from collections import Counter

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from rq import Queue, Worker
from sqlalchemy import select
from sqlalchemy.orm import Session

from .core.orm import AlgorithmJob, Evaluation
from .core.status import JobStatus
from .queue import QueueName

RUN_KINDS = {"algorithm_job": AlgorithmJob, "evaluation": Evaluation}
ENDED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def worker_node(worker):
    """Where a worker runs: the address Redis sees it at (its node), else (a worker on Redis's unix
    socket, so on Redis's machine) its host name."""
    address = str(getattr(worker, "ip_address", "") or "")
    if address and address != "unknown" and not address.startswith("/"):
        return address.rsplit(":", 1)[0]
    return worker.hostname or "unknown"


class PlatformCollector:
    """A prometheus_client collector of the platform's queues (Redis) and runs (the database)."""

    def __init__(self, engine, connection):
        self.engine, self.connection = engine, connection

    def collect(self):
        depth = GaugeMetricFamily("gc_queue_depth", "Jobs waiting in each queue.", labels=["queue"])
        for name in QueueName:
            depth.add_metric([name.value], Queue(name.value, connection=self.connection).count)
        yield depth
        workers = Counter()
        for worker in Worker.all(connection=self.connection):
            for queue in worker.queue_names():
                workers[worker_node(worker), queue] += 1
        by_node = GaugeMetricFamily("gc_workers", "Workers listening, by node and queue.", labels=["node", "queue"])
        for (node, queue), count in sorted(workers.items()):
            by_node.add_metric([node, queue], count)
        yield by_node
        runs = GaugeMetricFamily("gc_runs", "Containers runs by kind and state.", labels=["kind", "state"])
        durations = SummaryMetricFamily("gc_run_duration_seconds", "How long ended runs ran.", labels=["kind"])
        with Session(self.engine) as session:
            for kind, model in RUN_KINDS.items():
                states = Counter(session.scalars(select(model.status)))
                for state in JobStatus:
                    runs.add_metric([kind, state.value], states.get(state, 0))
                ended = session.execute(
                    select(model.started_at, model.completed_at).where(
                        model.status.in_(ENDED), model.started_at.is_not(None), model.completed_at.is_not(None)
                    )
                ).all()
                seconds = [(done - started).total_seconds() for started, done in ended]
                durations.add_metric([kind], count_value=len(seconds), sum_value=sum(seconds))
        yield runs
        yield durations


def platform_registry(engine, connection):
    """A registry of the platform's metrics alone (not this process's own)."""
    registry = CollectorRegistry()
    registry.register(PlatformCollector(engine, connection))
    return registry


def serve_metrics(port, engine, connection, address="0.0.0.0"):
    """Serve the platform's metrics at http://<address>:<port>/metrics on a thread of this process."""
    start_http_server(port, addr=address, registry=platform_registry(engine, connection))
