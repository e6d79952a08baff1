"""The job queues: the one place that names them, and the connection to Redis."""

from enum import StrEnum

from redis import Redis
from rq import Queue, Worker


class QueueName(StrEnum):
    """Queues, named after the work they hold."""

    IMPORT = "import"
    CPU = "cpu"
    GPU = "gpu"
    EVALUATION = "evaluation"


def connect(redis_url):
    """A Redis connection for ``redis://…`` or ``unix://…`` URLs."""
    return Redis.from_url(redis_url, socket_connect_timeout=5)


def queue(name, connection):
    return Queue(QueueName(name).value, connection=connection)


def workers_by_queue(connection):
    """How many workers listen on each queue right now."""
    counts = {name.value: 0 for name in QueueName}
    for worker in Worker.all(connection=connection):
        for name in worker.queue_names():
            counts[name] = counts.get(name, 0) + 1
    return counts
