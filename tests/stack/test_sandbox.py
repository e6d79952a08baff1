"""Hostile containers against the sandbox: each is contained and reported with a clear status,
the worker stays healthy, and a normal job queued behind them succeeds."""

import os

import pytest
from rq import Queue
from runtools import ExecutionPlatform, script_image, wait_for

from services.queue import QueueName, Task, connect
from services.runner import LOG_CONFIG, LOG_FILE_MB

pytestmark = pytest.mark.stack

WRITE_RESULT = "import json\ndef result(value):\n    json.dump(value, open('/output/result.json', 'w'))\n"

SCRIPTS = {
    "well-behaved": WRITE_RESULT + "print('hello from the sandbox')\nresult({'ok': True})\n",
    "memory-hog": "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))\n",
    "cpu-spin": "while True:\n    pass\n",
    "fork-bomb": "import os, time\nwhile True:\n    try:\n        os.fork()\n"
    "    except OSError:\n        time.sleep(0.01)\n",
    "ignores-sigterm": "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('not stopping', flush=True)\ntime.sleep(3600)\n",
    "exfiltrate": WRITE_RESULT + "import socket\nreached = []\nfor host in ('1.1.1.1', '172.17.0.1', '8.8.8.8'):\n"
    "    try:\n        socket.create_connection((host, 80), timeout=2); reached.append(host)\n"
    "    except OSError as e:\n        print(host, e)\n"
    "result({'reached': reached})\n",
    "write-outside": WRITE_RESULT
    + "import os\nwritten = []\nfor path in ('/etc/evil', '/input/evil', '/home/jovyan/evil', '/opt/evil', '/evil'):\n"
    "    try:\n        open(path, 'w').write('x'); written.append(path)\n"
    "    except OSError as e:\n        print(path, e)\n"
    "result({'written': written, 'uid': os.getuid()})\n",
    "giant-output": "import os\nchunk = b'x' * (1 << 20)\nfor i in range(1000):\n"
    "    with open(f'/output/part{i}', 'wb') as f:\n        for _ in range(16):\n            f.write(chunk)\n",
    "invalid-outputs": "open('/output/result.json', 'w').write('{not json')\n",
    "both-streams": WRITE_RESULT + "import sys\nprint('early words', file=sys.stderr, flush=True)\n"
    "for i in range(600):\n    print('line', i, flush=True)\n"
    "print('last words', file=sys.stderr, flush=True)\nresult({'ok': True})\n",
    # 8 MB of stdout, twice what the engine keeps, then its reason on stderr
    "floods-its-log": "import sys\nfor i in range(80_000):\n    sys.stdout.write(f'{i:>8} ' + 'x' * 91 + '\\n')\n"
    "print('gave up after the flood', file=sys.stderr)\nsys.exit(4)\n",
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = ExecutionPlatform(tmp_path_factory.mktemp("sandbox"))
    platform.images = {name: script_image(platform.docker, name, script) for name, script in SCRIPTS.items()}
    platform.images["runs-as-root"] = script_image(
        platform.docker, "runs-as-root", SCRIPTS["well-behaved"], user="root"
    )
    # A user name whose uid is 0 in the image's own /etc/passwd is root too.
    platform.images["root-by-another-name"] = script_image(
        platform.docker,
        "root-by-another-name",
        SCRIPTS["well-behaved"],
        user="toor",
        setup="RUN echo 'toor:x:0:0::/root:/bin/sh' >> /etc/passwd",
    )
    platform.images["named-user"] = script_image(platform.docker, "named-user", SCRIPTS["well-behaved"], user="jovyan")
    platform.start_worker()
    yield platform
    platform.close()


def run(platform, name, **limits):
    return platform.wait_until_done(platform.queue_job(platform.images[name], **limits))


def test_a_well_behaved_job_succeeds_with_its_output_and_logs(platform):
    job = run(platform, "well-behaved")
    assert job.status == "succeeded", job.error_message
    assert job.output_values["result"].value == {"ok": True}
    assert "hello from the sandbox" in job.stdout_tail
    assert job.container_digest.startswith("sha256:")


def test_the_logs_keep_the_last_500_lines_each_with_its_stream(platform):
    job = run(platform, "both-streams")
    assert job.status == "succeeded", job.error_message
    # The engine copies the two pipes on their own: the streams are kept apart, whatever order
    # it took their lines in.
    assert job.stderr_tail.splitlines() == ["early words", "last words"]
    assert job.stdout_tail.splitlines() == [f"line {i}" for i in range(100, 600)]


def test_a_container_that_floods_its_log_keeps_its_last_words_and_the_engines_disk(platform):
    job = run(platform, "floods-its-log")
    assert job.status == "failed" and job.exit_code == 4
    assert job.stderr_tail.strip() == "gave up after the flood"
    assert job.stdout_tail.splitlines()[-1].split()[0] == "79999"
    # On the engine, the same log settings hold the file to its limit.
    container = platform.docker.containers.run(
        platform.images["floods-its-log"], detach=True, network_mode="none",
        log_config=LOG_CONFIG,
    )  # fmt: skip
    try:
        container.wait(timeout=120)
        container.reload()
        log_path = container.attrs["LogPath"]
        sizes = [os.path.getsize(path) for path in (log_path, f"{log_path}.1")]
        assert max(sizes) <= LOG_FILE_MB * 1024 * 1024 and not os.path.exists(f"{log_path}.2")
    finally:
        container.remove(force=True)


def test_memory_hog_is_killed_and_reported_as_out_of_memory(platform):
    job = run(platform, "memory-hog", memory_limit_mb=256)
    assert job.status == "failed"
    assert job.exit_code == 137
    assert job.error_message == "the container ran out of memory (limit 0.25 GB)"


def test_cpu_spin_past_the_time_limit_is_stopped(platform):
    job = run(platform, "cpu-spin", time_limit_s=3)
    assert job.status == "failed"
    assert job.error_message.startswith("time limit of 3 seconds exceeded")


def test_fork_bomb_is_held_by_the_pids_limit_and_stopped(platform):
    job = run(platform, "fork-bomb", time_limit_s=5)
    assert job.status == "failed"
    assert "time limit of 5 seconds exceeded" in job.error_message
    # The host is fine: this very test goes on, and the next job runs.


def test_a_process_that_ignores_sigterm_is_killed(platform):
    job = run(platform, "ignores-sigterm", time_limit_s=2)
    assert job.status == "failed"
    assert "time limit" in job.error_message
    assert "not stopping" in job.stdout_tail


def test_no_network_reaches_out(platform):
    job = run(platform, "exfiltrate")
    assert job.status == "succeeded", job.error_message
    assert job.output_values["result"].value == {"reached": []}


def test_nothing_outside_output_is_writable_and_the_user_is_not_root(platform):
    job = run(platform, "write-outside")
    assert job.status == "succeeded", job.error_message
    assert job.output_values["result"].value == {"written": [], "uid": 1000}


def test_giant_output_is_stopped_at_the_output_limit(platform):
    job = run(platform, "giant-output")
    assert job.status == "failed"
    assert "more than the 64 MB allowed in /output" in job.error_message


def test_invalid_outputs_say_which_socket_and_why(platform):
    job = run(platform, "invalid-outputs", outputs=(("result", "any"), ("mask", "segmentation")))
    assert job.status == "failed"
    assert "invalid outputs" in job.error_message
    assert "output 'result': /output/result.json is not valid JSON" in job.error_message
    assert "output 'mask': /output/images/mask/ is missing" in job.error_message


@pytest.mark.parametrize("image", ["runs-as-root", "root-by-another-name"])
def test_an_image_that_runs_as_root_is_refused(platform, image):
    job = run(platform, image)
    assert job.status == "failed"
    assert "runs as root (" in job.error_message and "add `USER 1000`" in job.error_message


def test_an_image_with_a_named_user_runs(platform):
    assert run(platform, "named-user").status == "succeeded"


def test_the_worker_is_healthy_after_all_of_them(platform):
    job = run(platform, "well-behaved")
    assert job.status == "succeeded"
    assert platform.workers[0].process.poll() is None
    assert not platform.docker.containers.list(all=True, filters={"label": f"org.gc-hub.instance={platform.instance}"})


def test_a_gpu_job_that_reaches_a_worker_without_a_gpu_goes_back_to_the_gpu_queue(platform):
    job_id = platform.queue_job(platform.images["well-behaved"], gpu=True, enqueue=False)
    connection = connect(platform.redis.url)
    Queue(QueueName.CPU, connection=connection).enqueue(Task.RUN_ALGORITHM_JOB.value, run_id=job_id)  # misrouted
    assert wait_for(lambda: Queue(QueueName.GPU, connection=connection).count == 1)
    assert platform.job(job_id).status == "queued" and platform.job(job_id).started_at is None
