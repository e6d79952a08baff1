"""The services' and workers' settings: traitlets tagged with their GC_* variable, read by one
loader (services/core/settings.py), and every one of them passed on by the hub."""

import pytest
from traitlets.config import Config

from hub_config.services import PASSED_ON, platform_environment
from hub_config.settings import GcHub
from services.core.settings import ExecutionSettings, MailSettings, ServiceSettings, environment_values
from services.imaging.limits import ImportLimits
from services.web.uploads import UploadLimits

SETTINGS = (ServiceSettings, ExecutionSettings, MailSettings, ImportLimits, UploadLimits)
# What gc-worker sets for the jobs it forks (services/worker.py): not the hub's to pass on.
SET_BY_THE_WORKER = {"GC_WORKER_HAS_GPU", "GC_DOCKER_API_VERSION"}


@pytest.fixture
def environ(monkeypatch):
    for settings in SETTINGS:
        for trait in settings.class_traits(config=True).values():
            monkeypatch.delenv(trait.metadata["env"], raising=False)
    return monkeypatch


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda settings: settings.__name__)
def test_every_setting_has_help_that_names_its_variable(settings):
    for name, trait in settings.class_traits(config=True).items():
        variable = trait.metadata.get("env")
        assert variable and variable.startswith("GC_"), name
        assert len(trait.help) > 30 and variable in trait.help, name


def test_a_variable_overrides_the_default_and_a_value_passed_in_overrides_the_variable(environ, tmp_path):
    environ.setenv("GC_DATA_DIR", str(tmp_path))
    environ.setenv("GC_MAX_MEMORY_LIMIT_MB", "2048")
    environ.setenv("GC_GPU_ENABLED", "true")
    environ.setenv("GC_IMPORT_MAX_ZIP_RATIO", "50")
    settings = ServiceSettings(max_memory_limit_mb=1024)
    assert settings.database_url == f"sqlite:///{tmp_path}/gc-hub.sqlite"
    assert (settings.max_memory_limit_mb, settings.gpu_enabled, settings.max_time_limit_s) == (1024, True, 4 * 3600)
    assert ImportLimits().max_zip_ratio == 50 and ImportLimits(max_zip_ratio=7).max_zip_ratio == 7


def test_defaults_that_follow_other_settings(environ, tmp_path):
    environ.setenv("GC_IMAGE_PREFIX", "lab")
    environ.setenv("GC_DATA_DIR", "")  # empty: as if unset
    environ.setenv("GC_IMPORT_PROCESSES", "0")  # 0: as many as the machine's cores
    settings = ExecutionSettings()
    assert settings.training_image == "lab/training:latest" and ImportLimits().image == "lab/importer:latest"
    assert settings.redis_url == f"unix://{settings.data_dir}/redis/redis.sock" and settings.data_dir.endswith("/data")
    assert ImportLimits().processes >= 1 and settings.worker_has_gpu is None


def test_a_variable_that_does_not_fit_its_setting_is_named(environ):
    environ.setenv("GC_HEARTBEAT_S", "often")
    with pytest.raises(ValueError, match="GC_HEARTBEAT_S='often' is not a valid heartbeat_s"):
        ExecutionSettings()
    assert environment_values(ExecutionSettings, {"GC_WORKER_HAS_GPU": "0"}) == {"worker_has_gpu": False}


def test_the_hub_passes_every_setting_on_to_the_services_and_workers(environ, tmp_path):
    environ.setenv("GC_DATA_DIR", str(tmp_path))
    environ.setenv("GC_HUB_CONNECT_IP", "172.31.0.1")
    passed = set(platform_environment(GcHub.load(Config())))
    for settings in SETTINGS:
        for name, trait in settings.class_traits(config=True).items():
            variable = trait.metadata["env"]
            if variable not in SET_BY_THE_WORKER:
                assert variable in passed or variable.startswith(PASSED_ON), (settings.__name__, name)
