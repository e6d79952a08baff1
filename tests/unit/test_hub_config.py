"""hub_config against a bare traitlets Config: only values on ``c``, no hub, no Docker."""

import json

import pytest
from traitlets.config import Config

from hub_config import configure
from hub_config.groups import CUSTOM_SCOPES, GROUPS
from hub_config.settings import GcHub
from services.core.settings import ServiceSettings


@pytest.fixture
def environ(tmp_path, monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("GC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GC_HUB_CONNECT_IP", "172.31.0.1")
    return tmp_path


def test_environment_overrides_defaults_and_config_file_overrides_environment(environ, monkeypatch):
    monkeypatch.setenv("GC_PORT", "9000")
    monkeypatch.setenv("GC_TRAINING_CPU_LIMIT", "3.5")
    monkeypatch.setenv("GC_GPU_ENABLED", "true")
    c = Config()
    c.GcHub.training_cpu_limit = 1.5
    settings = GcHub.load(c)
    assert settings.port == 9000
    assert settings.public_url == "http://127.0.0.1:9000/"
    assert settings.training_cpu_limit == 1.5
    assert settings.gpu_enabled is True
    assert settings.hub_db_url == f"sqlite:///{environ}/jupyterhub.sqlite"


def test_every_setting_has_help_and_an_environment_variable():
    for name, trait in GcHub.class_traits(config=True).items():
        assert len(trait.help) > 30, name
        assert trait.metadata["env"] == f"GC_{name.upper()}", name


def test_configure_sets_hub_spawner_services_and_groups(environ):
    c = Config()
    settings = configure(c)
    assert c.JupyterHub.hub_ip == c.JupyterHub.hub_connect_ip == "172.31.0.1"
    assert c.JupyterHub.hub_port == settings.port + 2
    assert c.JupyterHub.bind_url == f"http://:{settings.port}/"
    assert c.JupyterHub.spawner_class.__name__ == "ReadyDockerSpawner"
    assert c.DockerSpawner.use_internal_ip is False
    assert c.DockerSpawner.pull_policy == "never"
    assert c.DockerSpawner.volumes == {"gc-hub-home-{username}": "/home/jovyan"}
    names = [s["name"] for s in c.JupyterHub.services]
    assert names == ["archives", "challenges", "leaderboard", "worker", "idle-culler", "redis"]
    web = {s["name"]: s for s in c.JupyterHub.services if "url" in s}
    assert web["archives"]["environment"]["GC_REDIS_URL"] == f"unix://{environ}/redis/redis.sock"
    assert set(c.JupyterHub.load_groups) == set(GROUPS)
    assert set(c.JupyterHub.custom_scopes) == set(CUSTOM_SCOPES)
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "access:services" in roles["user"]["scopes"]
    assert roles["researchers"]["groups"] == ["researchers"]
    assert "delete:servers" in roles["idle-culler"]["scopes"]
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")["command"]
    assert "--timeout=3600" in culler and "--max-age=86400" in culler


def test_demo_passwords_are_generated_once_and_kept(environ):
    c = Config()
    configure(c)
    stored = json.loads((environ / "secrets.json").read_text())
    assert (environ / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert c.SharedPasswordAuthenticator.user_password == stored["user_password"]
    assert len(c.SharedPasswordAuthenticator.admin_password) >= 32
    again = Config()
    configure(again)
    assert again.SharedPasswordAuthenticator.user_password == stored["user_password"]
    assert c.Authenticator.admin_users == {"admin"}


def test_configured_passwords_win_and_demo_can_be_turned_off(environ, monkeypatch):
    monkeypatch.setenv("GC_USER_PASSWORD", "correct horse")
    c = Config()
    configure(c)
    assert c.SharedPasswordAuthenticator.user_password == "correct horse"
    monkeypatch.setenv("GC_DEMO", "false")
    c = Config()
    configure(c)
    assert "authenticator_class" not in c.JupyterHub
    assert all(group["users"] == [] for group in c.JupyterHub.load_groups.values())


def test_external_redis_replaces_the_embedded_one(environ, monkeypatch):
    monkeypatch.setenv("GC_REDIS_URL", "redis://queue.example:6379/0")
    c = Config()
    configure(c)
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert "redis" not in services
    assert "redis://queue.example:6379/0" in services["worker"]["command"]


def test_limit_ceilings_reach_the_services(environ, monkeypatch):
    c = Config()
    c.GcHub.max_memory_limit_mb = 2048
    c.GcHub.gpu_enabled = True
    monkeypatch.setenv("GC_MAX_TIME_LIMIT_S", "600")
    configure(c)
    for service in c.JupyterHub.services:
        if service["name"] in ("archives", "challenges", "leaderboard", "worker"):
            environment = service["environment"]
            assert (environment["GC_MAX_MEMORY_LIMIT_MB"], environment["GC_MAX_TIME_LIMIT_S"]) == ("2048", "600")
            assert (environment["GC_MAX_CPU_LIMIT"], environment["GC_GPU_ENABLED"]) == ("8.0", "true")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    seen = ServiceSettings()
    ceilings = (seen.max_cpu_limit, seen.max_memory_limit_mb, seen.max_time_limit_s, seen.gpu_enabled)
    assert ceilings == (8.0, 2048, 600, True)
    with pytest.raises(Exception, match="max_cpu_limit must be greater than 0"):
        c.GcHub.max_cpu_limit = 0
        GcHub.load(c)
