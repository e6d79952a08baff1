"""GC_SPAWNER=swarm: what a cluster needs before the hub starts, and the spawner it gets."""

import pytest
from traitlets.config import Config

from hub_config import configure
from hub_config.cluster import ClusterSettingsError
from hub_config.settings import GcHub
from hub_config.swarm_spawner import ClusterSpawner
from services import launcher

CLUSTER = {
    "GC_SPAWNER": "swarm",
    "GC_DATABASE_URL": "postgresql://gc:secret@db:5432/gc",
    "GC_HUB_DB_URL": "postgresql://gc:secret@db:5432/hub",
    "GC_REDIS_URL": "redis://:secret@queues:6379/0",
    "GC_REGISTRY": "registry.lan:5000",
}


@pytest.fixture
def environ(tmp_path, monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("GC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GC_HUB_CONNECT_IP", "10.0.0.1")
    return monkeypatch


def test_a_cluster_without_shared_databases_a_redis_password_or_a_registry_is_refused_with_each_named(environ):
    environ.setenv("GC_SPAWNER", "swarm")
    environ.setenv("GC_REDIS_URL", "redis://queues:6379/0")
    with pytest.raises(ClusterSettingsError) as refused:
        configure(Config())
    message = str(refused.value)
    for named in ("GC_DATABASE_URL", "GC_HUB_DB_URL", "GC_REDIS_URL has no password", "GC_REGISTRY"):
        assert named in message


def test_an_unknown_spawner_is_refused(environ):
    environ.setenv("GC_SPAWNER", "kubernetes")
    with pytest.raises(Exception, match="set it to docker"):
        GcHub.load(Config())


def test_a_cluster_gets_swarm_services_from_the_registry_and_no_local_worker(environ):
    for name, value in CLUSTER.items():
        environ.setenv(name, value)
    environ.setenv("GC_LOCAL_WORKER", "false")
    c = Config()
    settings = configure(c)
    assert c.JupyterHub.spawner_class is ClusterSpawner
    assert c.ClusterSpawner.registry == "registry.lan:5000"
    assert c.ClusterSpawner.homes_dir == f"{settings.data_dir}/homes"
    assert "worker" not in [service["name"] for service in c.JupyterHub.services]


def test_platform_images_come_from_the_registry_and_others_as_named():
    spawner = ClusterSpawner(registry="registry.lan:5000")
    assert spawner.registry_image("gc-hub/training:latest") == "registry.lan:5000/gc-hub/training:latest"
    assert spawner.registry_image("other.lan:5000/gc-hub/training:latest") == "other.lan:5000/gc-hub/training:latest"
    assert spawner.registry_image("localhost/x:1") == "localhost/x:1"


def test_gc_hub_up_in_cluster_mode_without_what_it_needs_says_what_to_set(environ, capsys):
    environ.setenv("GC_SPAWNER", "swarm")
    with pytest.raises(SystemExit) as stopped:
        launcher.main(["up"])
    assert stopped.value.code == 1
    said = capsys.readouterr().err
    assert "GC_SPAWNER=swarm runs gc-hub as a cluster" in said and "GC_REGISTRY" in said
