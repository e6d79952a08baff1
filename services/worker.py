"""``gc-worker``: an RQ worker for gc-hub's queues, on any node with a Docker engine.

    gc-worker --queues cpu evaluation --redis-url redis://hub:6379/0 --data-dir /shared/gc-hub
"""

import argparse
import logging
import os
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker

from .queue import QueueName, connect

log = logging.getLogger("gc-worker")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="gc-worker", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--queues",
        nargs="+",
        default=[QueueName.IMPORT, QueueName.CPU, QueueName.EVALUATION],
        choices=[q.value for q in QueueName],
        help="queues to take jobs from, first has priority (run 'gpu' only on a GPU node)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("GC_REDIS_URL", ""),
        help="Redis holding the queues (default: $GC_REDIS_URL)",
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("GC_DATA_DIR", "data"),
        help="the platform's data folder, shared with the hub (default: $GC_DATA_DIR or ./data)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=60,
        help="seconds to keep trying to reach Redis at start (default: 60)",
    )
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("no Redis: pass --redis-url redis://host:6379/0 or set GC_REDIS_URL")
    return args


def wait_for_redis(url, timeout):
    """A connection to ``url`` once Redis answers; it may still be starting beside us."""
    connection = connect(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.ping()
            return connection
        except (RedisConnectionError, FileNotFoundError) as e:
            if time.monotonic() > deadline:
                raise SystemExit(f"gc-worker: Redis at {url} did not answer within {timeout:g} s ({e})")
            time.sleep(0.2)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[gc-worker %(asctime)s %(levelname)s] %(message)s")
    os.environ["GC_DATA_DIR"] = os.path.abspath(args.data_dir)
    connection = wait_for_redis(args.redis_url, args.connect_timeout)
    queues = [str(q) for q in args.queues]
    log.info("working on queues %s from %s", ", ".join(queues), args.redis_url)
    Worker(queues, connection=connection).work(with_scheduler=False)


if __name__ == "__main__":
    main()
