"""One cluster (two namespaced Docker engines in a swarm, a registry, PostgreSQL, Redis) and one
hub on it (cluster_platform.py), shared by every cluster test of a session: making them takes a
minute or two. ``make test-cluster`` runs them."""

import os
import shutil

import pytest
from cluster_harness import running_cluster
from cluster_platform import running_cluster_hub


@pytest.fixture(scope="session")
def cluster():
    with running_cluster() as made:
        yield made


@pytest.fixture(scope="session")
def cluster_hub(cluster, tmp_path_factory, artifacts):
    """The hub on the cluster: (RunningHub, Workers); the logs are kept in the artifacts."""
    data_dir = tmp_path_factory.mktemp("gc-hub-cluster")
    try:
        with running_cluster_hub(cluster, data_dir, f"gc-hub-cluster{os.getpid()}") as running:
            yield running
    finally:
        for log in [data_dir / "hub.log", *data_dir.glob("worker-*.log")]:
            if log.exists():
                shutil.copy(log, artifacts / f"cluster-{log.name}")
