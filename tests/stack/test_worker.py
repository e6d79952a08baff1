"""`gc-worker` against a real Redis server, as on a node outside the hub machine."""

import os
import shutil
import signal
import subprocess
import time

import pytest
from hubtools import REPO, free_port_block
from rq import Queue, get_current_job

from services.core.migrations import upgrade
from services.queue import TaskQueue, connect
from services.tasks import resources as task_resources
from services.worker import GcWorker

pytestmark = pytest.mark.stack

GC_WORKER = str(REPO / ".venv" / "bin" / "gc-worker")


@pytest.fixture
def redis_server(tmp_path):
    """A Debian redis-server on a free port, for this test only."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: apt-get install redis-server (.ci/run does)"
    port = free_port_block(size=1)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            connect(url).ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_worker_registers_on_its_queues_and_stops_cleanly(redis_server, tmp_path):
    worker = subprocess.Popen(
        [GC_WORKER, "--queues", "gpu", "cpu", "--gpu", "--redis-url", redis_server, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    queue = TaskQueue.from_url(redis_server)
    try:
        assert wait_for(lambda: queue.workers_by_queue()["gpu"] == 1), "worker did not register"
        assert queue.workers_by_queue()["cpu"] == 1
        assert queue.workers_by_queue()["evaluation"] == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert wait_for(lambda: queue.workers_by_queue()["gpu"] == 0)


def test_worker_without_redis_says_what_to_pass(tmp_path):
    result = subprocess.run([GC_WORKER, "--data-dir", str(tmp_path)], capture_output=True, text=True, env={})
    assert result.returncode == 2
    assert "pass --redis-url" in result.stderr


def test_worker_gives_up_with_a_message_when_redis_never_answers(tmp_path):
    result = subprocess.run(
        [GC_WORKER, "--redis-url", f"unix://{tmp_path}/none.sock", "--connect-timeout", "1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "did not answer within 1 s" in result.stderr


def test_a_node_without_gpu_refuses_the_gpu_queue(redis_server, tmp_path):
    result = subprocess.run(
        [GC_WORKER, "--queues", "gpu", "--redis-url", redis_server, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "has no GPU runtime (nvidia), so it must not take the 'gpu' queue" in result.stderr


def test_unknown_queue_is_refused(tmp_path):
    result = subprocess.run(
        [GC_WORKER, "--queues", "fast", "--redis-url", "redis://127.0.0.1:1/0"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "invalid choice: 'fast'" in result.stderr


def report_heartbeats(*, worker_key, outlive_s):
    """A job: the process it runs in, whether the worker's heartbeat in Redis was renewed while
    it ran (it waits up to 30 s for that), and whether the worker's key still has a TTL after
    ``outlive_s`` seconds more (longer than the one RQ set as the job began): one that expired
    meanwhile is dropped from RQ's list of workers, one without a TTL never expires."""
    connection = get_current_job().connection
    first = connection.hget(worker_key, "last_heartbeat")
    renewed = wait_for(lambda: connection.hget(worker_key, "last_heartbeat") != first, timeout=30)
    time.sleep(outlive_s)
    return os.getpid(), renewed, connection.ttl(worker_key) > 0


def test_a_job_runs_in_the_worker_itself_while_its_heartbeats_go_on(redis_server, tmp_path, monkeypatch):
    database_url = f"sqlite:///{tmp_path}/gc-hub.sqlite"
    upgrade(database_url)  # the worker's reconciler reads it before the first job
    for name, value in {"GC_DATA_DIR": str(tmp_path), "GC_DATABASE_URL": database_url,
                        "GC_REDIS_URL": redis_server, "GC_INSTANCE": f"gc-test-{os.getpid()}"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    connection = connect(redis_server)
    # As gc-worker makes it from GC_HEARTBEAT_S and GC_LOST_AFTER_S (floats): a job's first TTL is 1 + 2 s.
    worker = GcWorker(["cpu"], connection=connection, job_monitoring_interval=1.0, abandoned_after_s=2.0)
    job = Queue("cpu", connection=connection).enqueue(
        f"{__name__}.report_heartbeats", kwargs={"worker_key": worker.key, "outlive_s": 5}
    )
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.work(burst=True)
    finally:
        for signum, handler in handlers.items():  # rq's, for its own loop
            signal.signal(signum, handler)
        task_resources._process_resources.cache_clear()  # made with this test's settings
    assert job.get_status() == "finished", job.latest_result().exc_string
    assert job.return_value() == (os.getpid(), True, True)  # no work horse was forked; beats renew the TTL
