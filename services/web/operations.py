"""What operators watch, on every service and for hub admins only: the platform's Prometheus
metrics (``metrics``: queues, runs, workers by node; services/metrics.py) and the same at a glance
on a page (``operations``). JupyterHub's own ``/hub/metrics`` has the spawns."""

import asyncio
from collections import defaultdict

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado import web

from ..core.errors import PermissionDenied
from ..core.status import JobStatus
from ..metrics import PlatformCollector, platform_registry
from .base import APIHandler
from .pages import PageHandler, page_routes

KIND_WORDS = {"algorithm_job": "Algorithm jobs", "evaluation": "Evaluations"}
QUEUE_WORDS = {
    "import": "Imports (images, models, ground truth)",
    "cpu": "Algorithm jobs on CPU",
    "gpu": "Algorithm jobs on GPU",
    "evaluation": "Evaluations",
    "mail": "E-mails",
}


class HubAdminsOnly:
    """Refuses everyone but the hub's admins (Prometheus scrapes with an admin's API token)."""

    def require_hub_admin(self):
        if not self.user.get("admin"):
            raise PermissionDenied("Only the hub's admins may see the platform's metrics.")


class MetricsHandler(HubAdminsOnly, APIHandler):
    """GET metrics: the platform's metrics in Prometheus's text format (refusals in JSON, as the API's)."""

    def wants_json(self):
        return True

    @web.authenticated
    async def get(self):
        self.require_hub_admin()
        registry = platform_registry(self.platform["engine"], self.platform["queue"].connection)
        body = await asyncio.to_thread(generate_latest, registry)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(body)


def queue_words(queue):
    return QUEUE_WORDS.get(queue, queue)


def at_a_glance(families):
    """The page's tables, from the metric families that PlatformCollector gives."""
    samples = {family.name: family.samples for family in families}
    listening = defaultdict(int)
    workers = []
    for sample in samples["gc_workers"]:
        queue, count = sample.labels["queue"], int(sample.value)
        listening[queue] += count
        workers.append((sample.labels["node"], queue_words(queue), count))
    depths = {sample.labels["queue"]: int(sample.value) for sample in samples["gc_queue_depth"]}
    queues = [(queue_words(queue), waiting, listening[queue]) for queue, waiting in depths.items()]
    runs = defaultdict(dict)
    for sample in samples["gc_runs"]:
        runs[sample.labels["kind"]][sample.labels["state"]] = int(sample.value)
    totals = defaultdict(dict)
    for sample in samples["gc_run_duration_seconds"]:
        totals[sample.labels["kind"]][sample.name.rsplit("_", 1)[1]] = sample.value
    kinds = [
        {
            "name": KIND_WORDS[kind],
            "states": [states.get(state.value, 0) for state in JobStatus],
            "mean_s": totals[kind]["sum"] / totals[kind]["count"] if totals[kind].get("count") else None,
        }
        for kind, states in runs.items()
    ]
    return {"queues": queues, "workers": workers, "kinds": kinds, "states": [state.value for state in JobStatus]}


class OperationsPage(HubAdminsOnly, PageHandler):
    """GET operations: queues, workers by node, runs by state and how long they take, for hub admins."""

    @web.authenticated
    async def get(self):
        self.require_hub_admin()
        collector = PlatformCollector(self.platform["engine"], self.platform["queue"].connection)
        families = await asyncio.to_thread(lambda: list(collector.collect()))
        self.render_page("operations.html", **at_a_glance(families))


def routes(prefix):
    return [(prefix + "metrics", MetricsHandler), *page_routes(prefix, [(prefix + "operations", OperationsPage)])]
