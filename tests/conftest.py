"""Fixtures: a real hub (JupyterHub, proxy, services, worker, Redis, Docker) for the stack tests."""

import functools
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hubtools import remove_home_volumes, running_hub
from postgres import running_postgres
from sqlalchemy import create_engine, text

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


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (Debian's postgresql package)."""
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty platform database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/gc.sqlite"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def pytest_xdist_make_scheduler(config, log):
    """How `make test` (``pytest -n 2``) shares the tests out: a test file stays on one process, in
    its order, so its module fixtures and what its tests build on each other hold; and the files
    whose tests draw in the viewer (marked ``webgl``) take turns on one process, first, as two
    software-WebGL pages at once starve each other on a 2-core machine. Other browser tests are
    light and go where there is room. (Not ``--dist loadgroup``: its xdist_group markers do nothing
    with pytest 9.2, whose node ids xdist 3.8 can no longer rename.)"""
    from xdist.scheduler import LoadScopeScheduling

    @functools.cache
    def draws_in_the_viewer(path):
        return "pytest.mark.webgl" in (config.rootpath / path).read_text(encoding="utf-8")

    class FileOrViewerScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return "webgl" if draws_in_the_viewer(path) else path

        def _assign_work_unit(self, node):
            # The viewer's tests first: they are the longest unit by far (about half the run), so
            # started last they would make the run last that much longer.
            if "webgl" in self.workqueue:
                self.workqueue.move_to_end("webgl", last=False)
            super()._assign_work_unit(node)

    return FileOrViewerScheduling(config, log)
