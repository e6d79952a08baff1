"""Fixtures: a real hub (JupyterHub, proxy, services, worker, Redis, Docker) for the stack tests."""

import os
import shutil
from pathlib import Path

import pytest

from hubtools import remove_home_volumes, running_hub

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def artifacts():
    """Folder for screenshots and logs that tests keep for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def hub(tmp_path_factory, artifacts):
    """One running platform shared by the stack tests of a session; its log is kept."""
    data_dir = tmp_path_factory.mktemp("gc-hub-data")
    instance = f"gc-hub-test{os.getpid()}"  # sessions running side by side never share containers
    try:
        with running_hub(data_dir, instance=instance) as running:
            yield running
    finally:
        if (data_dir / "hub.log").exists():
            shutil.copy(data_dir / "hub.log", artifacts / "hub.log")
        remove_home_volumes(instance)
