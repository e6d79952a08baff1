"""Work spreading over a cluster: 100 short jobs on 1 worker node, then on 2, in the test cluster.

    .venv/bin/python benchmarks/cluster.py [--jobs 100] [--rounds 2] [--workers-per-node 1]

Makes the cluster of ``make test-cluster`` (two Docker engines in network namespaces, a swarm, a
registry, PostgreSQL and Redis; as root) and a hub on it. A data scientist's algorithm is built on
node 1 and one job of it runs on node 2 first, so that both nodes hold the image before timing.
Then ``--jobs`` jobs are posted through the hub's API with only node 1's worker(s) running, and
again with the workers of both nodes, alternating for ``--rounds`` rounds (the best round of each
counts: other work on the machine slows some rounds); each round runs from the first post until the
database says every job ended. Both nodes share this machine's cores, so the figure says whether work spreads
and nothing is lost, not what separate machines would gain.

The last line is `cluster_scaling=<throughput with 2 nodes / with 1>`.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cluster"))
from cluster_harness import running_cluster
from cluster_platform import running_cluster_hub
from cluster_tools import Client, build_algorithm

SCRIPT = b"print('done')\n"
ENDED = ("succeeded", "failed", "cancelled")


def job_states(database_url, ids):
    """``(ended, succeeded, jobs per worker)`` of the jobs ``ids``."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, worker FROM algorithm_jobs WHERE pk = ANY(:ids)"), {"ids": list(ids)}
        ).all()
    engine.dispose()
    ended = [row for row in rows if row.status in ENDED]
    per_worker = {}
    for row in ended:
        per_worker[row.worker] = per_worker.get(row.worker, 0) + 1
    return len(ended), sum(row.status == "succeeded" for row in rows), sorted(per_worker.values(), reverse=True)


def timed_round(client, hub, workers, slug, nodes, jobs, per_node):
    """Seconds to run ``jobs`` jobs with the cpu workers of ``nodes``; and what they did."""
    for node in nodes:
        for _ in range(per_node):
            workers.start(node, "cpu")
    try:
        started = time.monotonic()
        ids = [
            client("POST", "challenges", f"algorithms/{slug}/jobs", 201, json={"inputs": {}}).json()["pk"]
            for _ in range(jobs)
        ]
        while True:
            ended, succeeded, per_worker = job_states(hub.env["GC_DATABASE_URL"], ids)
            if ended == jobs:
                return time.monotonic() - started, succeeded, per_worker
            time.sleep(0.5)
    finally:
        for node in nodes:
            workers.stop(node, "cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers-per-node", type=int, default=1)
    args = parser.parse_args()
    with (
        running_cluster() as cluster,
        tempfile.TemporaryDirectory(prefix="gc-hub-cluster-bench-") as data_dir,
        running_cluster_hub(cluster, Path(data_dir), f"gc-hub-bench{os.getpid()}") as (hub, workers),
    ):
        client = Client(hub, "datascientist")
        slug, _build = build_algorithm(client, workers, "node1", SCRIPT)
        timed_round(client, hub, workers, slug, ["node2"], 1, 1)  # node 2 pulls the image
        results = {1: 0.0, 2: 0.0}
        for _round in range(args.rounds):
            for nodes in (["node1"], ["node1", "node2"]):
                seconds, succeeded, per_worker = timed_round(client, hub, workers, slug, nodes, args.jobs,
                                                             args.workers_per_node)  # fmt: skip
                throughput = args.jobs / seconds
                results[len(nodes)] = max(results[len(nodes)], throughput)
                print(f"{len(nodes)} node(s): {args.jobs} jobs in {seconds:.1f} s ({throughput:.2f} jobs/s), "
                      f"{succeeded} succeeded, jobs per worker {per_worker}", flush=True)  # fmt: skip
    print(f"cluster_scaling={results[2] / results[1]:.2f}")


if __name__ == "__main__":
    main()
