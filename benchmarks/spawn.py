"""Spawn time: hub spawn request → server ready, next to a raw `docker run` of the same image.

    .venv/bin/python benchmarks/spawn.py [--runs 7]

For each profile, a demo user starts their server through the hub's REST API and the time until
the hub reports it ready is taken; then the same image is started with a plain `docker run`
(same CPU and memory limits) and timed until its notebook server answers HTTP. The last line is
`spawn_ratio=<median hub / median raw>` over both profiles.
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


def time_hub_spawn(hub, username, profile):
    user = hub.login(username)
    started = time.perf_counter()
    r = user.start_server(profile=profile)
    r.raise_for_status()
    user.wait_ready()
    elapsed = time.perf_counter() - started
    user.stop_server()
    return elapsed


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
                    return time.perf_counter() - started
            except requests.RequestException:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{image} did not answer within 120 s")
            time.sleep(0.02)
    finally:
        container.remove(force=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="spawns per profile and mode (default 7)")
    args = parser.parse_args()
    client = docker.from_env()
    hub_times, raw_times = {}, {}
    instance = f"gc-bench{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, instance=instance) as hub:
        for profile, username in PROFILES.items():
            image = getattr(hub.settings, f"{profile}_image")
            cpu = getattr(hub.settings, f"{profile}_cpu_limit")
            mem = getattr(hub.settings, f"{profile}_mem_limit")
            time_hub_spawn(hub, username, profile)  # warm-up: first start creates the home volume
            time_raw_run(client, image, RAW_COMMANDS[profile], cpu, mem)
            hub_times[profile], raw_times[profile] = [], []
            for _ in range(args.runs):  # interleaved, so that drift affects both alike
                hub_times[profile].append(time_hub_spawn(hub, username, profile))
                raw_times[profile].append(time_raw_run(client, image, RAW_COMMANDS[profile], cpu, mem))
            print(
                f"{profile:<12} hub median {statistics.median(hub_times[profile]):.2f} s "
                f"(min {min(hub_times[profile]):.2f})   raw docker run median "
                f"{statistics.median(raw_times[profile]):.2f} s (min {min(raw_times[profile]):.2f})",
                flush=True,
            )
    remove_home_volumes(instance)
    all_hub = [t for times in hub_times.values() for t in times]
    all_raw = [t for times in raw_times.values() for t in times]
    print(f"spawn_ratio={statistics.median(all_hub) / statistics.median(all_raw):.2f}")


if __name__ == "__main__":
    main()
