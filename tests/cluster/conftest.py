"""One cluster (two namespaced Docker engines in a swarm, a registry, PostgreSQL, Redis) shared by
every cluster test of a session: making it takes about half a minute. ``make test-cluster`` runs them."""

import pytest
from cluster_harness import running_cluster


@pytest.fixture(scope="session")
def cluster():
    with running_cluster() as made:
        yield made
