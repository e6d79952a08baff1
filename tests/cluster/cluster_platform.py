"""The platform on a cluster made by cluster_harness: the hub on this machine (the swarm's manager)
with GC_SPAWNER=swarm and no worker of its own, and ``gc-worker``s in the nodes' network namespaces
against the nodes' engines, started and stopped through :class:`Workers` by whoever uses it (the
cluster tests, benchmarks/cluster.py) so that it decides which node takes which queue."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from hubtools import running_hub
from rq import Worker
from sqlalchemy import create_engine, text

from services.metrics import worker_node
from services.queue import connect

# The platform's images the nodes pull from the registry: the importer (imports), the training
# environment (users' servers and the base of builds).
PLATFORM_IMAGES = ("gc-hub/importer:latest", "gc-hub/training:latest")


def fresh_database(server_url, name):
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


class Workers:
    """gc-worker processes in the nodes' namespaces, against the nodes' engines."""

    def __init__(self, cluster, data_dir, env, log_dir):
        self.cluster, self.data_dir, self.env, self.log_dir = cluster, data_dir, env, log_dir
        self.running = {}  # (node, queues) -> Popen

    def start(self, node_name, *queues, metrics_port=0):
        """Start a worker on ``node_name`` taking ``queues`` (serving metrics on ``metrics_port``)."""
        node = self.cluster.node(node_name)
        command = node.in_namespace([
            str(Path(sys.executable).with_name("gc-worker")), "--queues", *queues, "--redis-url",
            self.cluster.redis_url, "--data-dir", str(self.data_dir), "--reconcile-every", "2",
            "--metrics-port", str(metrics_port),
        ])  # fmt: skip
        log = open(self.log_dir / f"worker-{node_name}-{'-'.join(queues)}.log", "ab")  # noqa: SIM115 (closed with the worker)
        env = {**os.environ, **self.env, "DOCKER_HOST": node.docker_host}
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=env)  # fmt: skip
        log.close()
        self.running[(node_name, queues)] = process
        return process

    def stop(self, node_name=None, *queues):
        """Stop the workers of ``node_name`` (all of them if None; those of ``queues`` if given),
        letting a job in hand finish."""
        for key, process in list(self.running.items()):
            if node_name in (None, key[0]) and (not queues or key[1] == queues):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                del self.running[key]

    def listed(self, node_name):
        """The queues of the workers that Redis lists on ``node_name``, one entry per worker and
        queue: a worker that died without saying so stays listed until its heartbeat lapses."""
        address = self.cluster.node(node_name).address
        connection = connect(self.cluster.redis_url)
        try:
            return sorted(queue for worker in Worker.all(connection=connection) if worker_node(worker) == address
                          for queue in worker.queue_names())  # fmt: skip
        finally:
            connection.close()

    def kill(self, node_name):
        """Kill the workers of ``node_name`` at once, as a node that loses power would."""
        for key, process in list(self.running.items()):
            if key[0] == node_name:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                del self.running[key]


@contextlib.contextmanager
def running_cluster_hub(cluster, data_dir, instance):
    """The hub on ``cluster`` with its data in ``data_dir``: (RunningHub, Workers). The platform's
    images are put into the registry first."""
    for image in PLATFORM_IMAGES:
        cluster.publish_image(image)
    env = {
        "GC_SPAWNER": "swarm",
        "GC_DATABASE_URL": fresh_database(cluster.database_url, "platform"),
        "GC_HUB_DB_URL": fresh_database(cluster.database_url, "hub"),
        "GC_REDIS_URL": cluster.redis_url,
        "GC_REGISTRY": cluster.registry,
        "GC_HUB_CONNECT_IP": cluster.manager_address,
        "GC_LOCAL_WORKER": "false",
        "GC_LOST_AFTER_S": "6",
        "GC_HEARTBEAT_S": "1",
    }
    with running_hub(data_dir, instance=instance, extra_env=env) as hub:
        workers = Workers(cluster, data_dir, {**env, "GC_DATA_DIR": str(data_dir), "GC_INSTANCE": instance}, data_dir)
        try:
            yield hub, workers
        finally:
            workers.stop()
