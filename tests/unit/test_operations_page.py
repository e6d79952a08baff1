"""The Operations page's tables, from the platform's metric families (services/metrics.py)."""

from types import SimpleNamespace

from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily

from services.core.status import JobStatus
from services.metrics import worker_node
from services.web.operations import at_a_glance


def families():
    depth = GaugeMetricFamily("gc_queue_depth", "", labels=["queue"])
    depth.add_metric(["cpu"], 3)
    depth.add_metric(["gpu"], 2)
    workers = GaugeMetricFamily("gc_workers", "", labels=["node", "queue"])
    workers.add_metric(["10.0.0.1", "cpu"], 1)
    workers.add_metric(["10.0.0.2", "cpu"], 2)
    runs = GaugeMetricFamily("gc_runs", "", labels=["kind", "state"])
    for state in JobStatus:
        runs.add_metric(["algorithm_job", state.value], 4 if state is JobStatus.SUCCEEDED else 0)
        runs.add_metric(["evaluation", state.value], 0)
    durations = SummaryMetricFamily("gc_run_duration_seconds", "", labels=["kind"])
    durations.add_metric(["algorithm_job"], count_value=4, sum_value=10.0)
    durations.add_metric(["evaluation"], count_value=0, sum_value=0.0)
    return [depth, workers, runs, durations]


def test_queues_say_what_waits_and_who_listens_in_words():
    glance = at_a_glance(families())
    assert glance["queues"] == [("Algorithm jobs on CPU", 3, 3), ("Algorithm jobs on GPU", 2, 0)]
    assert glance["workers"] == [("10.0.0.1", "Algorithm jobs on CPU", 1), ("10.0.0.2", "Algorithm jobs on CPU", 2)]


def test_runs_by_state_with_the_mean_time_of_ended_ones():
    jobs, evaluations = at_a_glance(families())["kinds"]
    assert jobs["name"] == "Algorithm jobs" and jobs["mean_s"] == 2.5
    assert jobs["states"][list(JobStatus).index(JobStatus.SUCCEEDED)] == 4
    assert evaluations["name"] == "Evaluations" and evaluations["mean_s"] is None


def test_a_worker_on_redis_unix_socket_is_named_by_its_host():
    assert worker_node(SimpleNamespace(ip_address="10.213.1.2:53012", hostname="node1")) == "10.213.1.2"
    assert worker_node(SimpleNamespace(ip_address="/data/redis/redis.sock", hostname="hub-host")) == "hub-host"
    assert worker_node(SimpleNamespace(ip_address=None, hostname="hub-host")) == "hub-host"
