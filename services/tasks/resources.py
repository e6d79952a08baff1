"""What a worker process sets up once and every task of it uses."""

import os
from functools import cache
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Engine

from ..core.database import make_engine
from ..core.settings import ExecutionSettings
from ..queue import TaskQueue
from ..runner import Runner


class Resources(NamedTuple):
    """The settings, database engine, Docker runner and task queue of one worker process."""

    settings: ExecutionSettings
    engine: Engine
    runner: Runner
    queue: TaskQueue


@cache
def _process_resources(pid):
    settings = ExecutionSettings()
    runner = Runner(
        instance=settings.instance,
        api_version=settings.docker_api_version,
        cache_dir=Path(settings.data_dir, "cache", "checked-images"),
    )
    return Resources(settings, make_engine(settings.database_url), runner, TaskQueue.from_url(settings.redis_url))


def resources():
    """This process's Resources, made at first use (a process forked from it makes its own)."""
    return _process_resources(os.getpid())
