"""Runner overhead and throughput: jobs through gc-hub's queue and workers, next to raw `docker run`.

    .venv/bin/python benchmarks/runner.py [--runs 20] [--jobs 100] [--rounds 3]

(1) Per-job overhead: a job is committed and enqueued, and the time until the database says it
succeeded is taken; then the same image runs with a plain `docker run --rm` and the same sandbox
flags. Median of ``--runs`` each; the overhead is the difference of the medians.
(2) Throughput: ``--jobs`` short jobs through 2 workers, next to 2 parallel loops of raw
`docker run` doing the same number of runs, alternating for ``--rounds`` rounds; the best round
of each counts, and the ratio is platform throughput / raw throughput. Each round also says how
much CPU time the workers took per job and the `docker` commands per run (Linux: /proc).

The last line is `runner_overhead_s=<x> throughput_ratio=<y>`.
"""

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from runtools import ExecutionPlatform, script_image

from services.core.orm import AlgorithmJob, JobStatus
from services.queue import TaskQueue
from services.runner import RunSpec, Sandbox, sandbox_arguments

SCRIPT = "import json\njson.dump({'ok': True}, open('/output/result.json', 'w'))\n"
LIMITS = {"cpu_limit": 1.0, "memory_limit_mb": 512, "time_limit_s": 60}


def docker_run_command(image, folder, limits=LIMITS, read_only_mounts=None):
    """`docker run` with the flags the runner gives a job (see services.runner.sandbox_arguments):
    ``folder``/input at /input (read-only), ``folder``/output at /output, and ``read_only_mounts``
    ({container path: host path}) such as an evaluation's ground truth."""
    sandbox = Sandbox(**limits)
    (folder / "input").mkdir(parents=True, exist_ok=True)
    (folder / "output").mkdir(exist_ok=True)
    (folder / "output").chmod(0o777)
    spec = RunSpec(image=image, sandbox=sandbox, input_dir=folder / "input", output_dir=folder / "output", name="x")
    arguments = sandbox_arguments(spec)
    command = ["docker", "run", "--rm", "--network", "none", "--cap-drop", "ALL",
               "--security-opt", "no-new-privileges", "--read-only", "--tmpfs", f"/tmp:{arguments['tmpfs']['/tmp']}",
               "--memory", arguments["mem_limit"], "--memory-swap", arguments["memswap_limit"],
               "--cpus", str(sandbox.cpu_limit), "--pids-limit", str(sandbox.pids_limit),
               "--ulimit", f"fsize={sandbox.output_limit_mb * 1024 * 1024}",
               "-v", f"{folder / 'input'}:/input:ro", "-v", f"{folder / 'output'}:/output"]  # fmt: skip
    for target, source in (read_only_mounts or {}).items():
        command += ["-v", f"{source}:{target}:ro"]
    for name, value in arguments["environment"].items():
        command += ["-e", f"{name}={value}"]
    return [*command, image]


def time_raw(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def done_count(platform, ids):
    with Session(platform.engine) as session:
        query = select(func.count()).where(AlgorithmJob.id.in_(ids), AlgorithmJob.status == JobStatus.SUCCEEDED)
        return session.scalar(query)


def time_platform_job(platform, image):
    started = time.perf_counter()
    job_id = platform.queue_job(image, **LIMITS)
    while done_count(platform, [job_id]) < 1:
        if time.perf_counter() - started > 60:
            raise SystemExit(f"job {job_id} did not succeed: {platform.job(job_id).error_message}")
        time.sleep(0.005)
    return time.perf_counter() - started


def cpu_seconds(pid):
    """CPU time of process ``pid`` and of its children that it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    """CPU time of this process's children that ended (the `docker` commands)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_platform_batch(platform, image, jobs):
    """Seconds for ``jobs`` jobs queued at once to succeed, and the workers' CPU seconds per job."""
    pids = [worker.process.pid for worker in platform.workers]
    cpu = sum(map(cpu_seconds, pids))
    started = time.perf_counter()
    ids = [platform.queue_job(image, **LIMITS) for _ in range(jobs)]
    while done_count(platform, ids) < jobs:
        time.sleep(0.2)  # each count takes CPU from the workers: ask seldom (0.2 s in a run of many seconds)
    return time.perf_counter() - started, (sum(map(cpu_seconds, pids)) - cpu) / jobs


def time_raw_batch(commands, runs):
    """Seconds for ``runs`` raw runs in as many parallel loops as ``commands``, and the `docker`
    commands' CPU seconds per run."""
    cpu = children_cpu_seconds()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(commands)) as pool:
        list(pool.map(lambda i: time_raw(commands[i % len(commands)]), range(runs)))
    return time.perf_counter() - started, (children_cpu_seconds() - cpu) / runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds of each; the best counts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        platform = ExecutionPlatform(Path(folder), heartbeat_s=2)  # the default heartbeat
        try:
            image = script_image(platform.docker, "benchmark-job", SCRIPT)
            raw_command = docker_run_command(image, Path(folder) / "raw")
            platform.start_worker(queues=("cpu",), reconcile_every=10)
            time_platform_job(platform, image)  # warm up both paths
            time_raw(raw_command)

            platform_times = [time_platform_job(platform, image) for _ in range(args.runs)]
            raw_times = [time_raw(raw_command) for _ in range(args.runs)]
            overhead = statistics.median(platform_times) - statistics.median(raw_times)
            print(f"per job: platform median {statistics.median(platform_times):.3f} s, "
                  f"raw docker run median {statistics.median(raw_times):.3f} s (n={args.runs})")  # fmt: skip

            platform.start_worker(queues=("cpu",), reconcile_every=10)
            queue = TaskQueue.from_url(platform.redis.url)
            while queue.workers_by_queue()["cpu"] < 2:  # both take jobs from the first one on
                time.sleep(0.1)
            commands = [docker_run_command(image, Path(folder) / f"raw{i}") for i in range(2)]
            platform_best = raw_best = math.inf
            for round_ in range(1, args.rounds + 1):
                platform_s, worker_cpu = time_platform_batch(platform, image, args.jobs)
                raw_s, cli_cpu = time_raw_batch(commands, args.jobs)
                platform_best, raw_best = min(platform_best, platform_s), min(raw_best, raw_s)
                print(f"round {round_}: {args.jobs} jobs, platform with 2 workers {platform_s:.1f} s "
                      f"({args.jobs / platform_s:.2f} jobs/s, workers' CPU {worker_cpu * 1000:.0f} ms a job), "
                      f"2 loops of docker run {raw_s:.1f} s ({args.jobs / raw_s:.2f} runs/s, docker CLI's "
                      f"CPU {cli_cpu * 1000:.0f} ms a run); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            ratio = raw_best / platform_best
            print(f"best: platform {platform_best:.1f} s, docker run {raw_best:.1f} s")
        finally:
            platform.close()
    print(f"runner_overhead_s={overhead:.3f} throughput_ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
