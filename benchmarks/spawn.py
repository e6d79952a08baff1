"""Spawn time: hub spawn request → server ready, next to a raw `docker run` of the same image.

    .venv/bin/python benchmarks/spawn.py [--runs 7]

For each profile, a demo user starts their server through the hub's REST API and the time until
the hub reports it ready is taken; then the same image is started with a plain `docker run`
(same CPU and memory limits) and timed until its notebook server answers HTTP. The CPU time the
container used until then is printed too (steadier than the time on a busy machine). The last
line is `spawn_ratio=<median hub / median raw>` over both profiles.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import docker
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubtools import free_port_block, remove_home_volumes, running_hub

PROFILES = {"workstation": "clinician", "training": "datascientist"}
# the notebook server each image runs, started without a hub
RAW_COMMANDS = {
    "workstation": ["jupyter", "notebook", "--NotebookApp.token=", "--NotebookApp.open_browser=False"],
    "training": ["jupyter", "lab", "--ServerApp.token=", "--ServerApp.open_browser=False"],
}


def container_cpu_seconds(container_id):
    """CPU seconds the container's processes used so far (cgroup v1 or v2), or None."""
    v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage")
    v2 = Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    if v2.exists():
        return int(dict(line.split() for line in v2.read_text().splitlines())["usage_usec"]) / 1e6
    return None


def time_hub_spawn(hub, username, profile, client):
    """Seconds until the hub says the server is ready, and the CPU its container used until then."""
    user = hub.login(username)
    started = time.perf_counter()
    r = user.start_server(profile=profile)
    r.raise_for_status()
    user.wait_ready()
    elapsed = time.perf_counter() - started
    (container,) = client.containers.list(
        filters={"label": f"org.gc-hub.instance={hub.settings.instance}", "name": username}
    )
    cpu = container_cpu_seconds(container.id)
    user.stop_server()
    return elapsed, cpu


def time_raw_run(client, image, command, cpu_limit, mem_limit):
    port = free_port_block(size=1)
    started = time.perf_counter()
    container = client.containers.run(
        image,
        command + ["--ip=0.0.0.0", "--port=8888"],
        detach=True,
        name=f"gc-bench-raw-{uuid.uuid4().hex[:8]}",
        ports={"8888/tcp": ("127.0.0.1", port)},
        nano_cpus=int(cpu_limit * 1e9),
        mem_limit=mem_limit,
    )
    try:
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api", timeout=1).status_code == 200:
                    return time.perf_counter() - started, container_cpu_seconds(container.id)
            except requests.RequestException:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{image} did not answer within 120 s")
            time.sleep(0.02)
    finally:
        container.remove(force=True)


def median(runs, field):
    return statistics.median(run[field] for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="spawns per profile and mode (default 7)")
    args = parser.parse_args()
    client = docker.from_env()
    hub_runs, raw_runs = {}, {}  # (seconds, container CPU seconds) of each
    instance = f"gc-bench{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, instance=instance) as hub:
        for profile, username in PROFILES.items():
            image = getattr(hub.settings, f"{profile}_image")
            cpu = getattr(hub.settings, f"{profile}_cpu_limit")
            mem = getattr(hub.settings, f"{profile}_mem_limit")
            time_hub_spawn(hub, username, profile, client)  # warm-up: first start creates the home volume
            time_raw_run(client, image, RAW_COMMANDS[profile], cpu, mem)
            hub_runs[profile], raw_runs[profile] = [], []
            for _ in range(args.runs):  # interleaved, so that drift affects both alike
                hub_runs[profile].append(time_hub_spawn(hub, username, profile, client))
                raw_runs[profile].append(time_raw_run(client, image, RAW_COMMANDS[profile], cpu, mem))
            spawned, ran = hub_runs[profile], raw_runs[profile]
            print(f"{profile:<12} hub median {median(spawned, 0):.2f} s (min {min(spawned)[0]:.2f}, "
                  f"CPU {median(spawned, 1):.2f} s)   raw docker run median {median(ran, 0):.2f} s "
                  f"(min {min(ran)[0]:.2f}, CPU {median(ran, 1):.2f} s)", flush=True)  # fmt: skip
    remove_home_volumes(instance)
    all_hub = [run for runs in hub_runs.values() for run in runs]
    all_raw = [run for runs in raw_runs.values() for run in runs]
    print(f"CPU until ready, hub / raw (medians): {median(all_hub, 1) / median(all_raw, 1):.2f}")
    print(f"spawn_ratio={median(all_hub, 0) / median(all_raw, 0):.2f}")


if __name__ == "__main__":
    main()
