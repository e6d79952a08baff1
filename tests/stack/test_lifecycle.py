"""The platform's life: `gc-hub up` prints how to get in, `make down` leaves nothing behind, idle servers stop."""

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import docker
import pytest
import requests
from hubtools import REPO, HubSession, hub_environment, remove_home_volumes, running_hub
from runtools import wait_for

from hub_config.hub import PROXY
from services.launcher import descendants, is_running

pytestmark = pytest.mark.stack

GC_HUB = str(REPO / ".venv" / "bin" / "gc-hub")


def test_up_then_make_down_leaves_nothing_behind(tmp_path):
    instance = f"gc-hub-life{uuid.uuid4().hex[:6]}"
    env = {**os.environ, **hub_environment(tmp_path, instance)}
    try:
        check_up_and_down(tmp_path, env, instance)
    finally:  # whatever failed, leave nothing running for the next test
        subprocess.run([GC_HUB, "down"], cwd=REPO, env=env, capture_output=True)
        for volume in docker.from_env().volumes.list():
            if volume.name.startswith(instance):
                volume.remove(force=True)


def check_up_and_down(tmp_path, env, instance):
    up = subprocess.run([GC_HUB, "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert up.returncode == 0, up.stdout + up.stderr
    port = env["GC_PORT"]
    assert f"Open http://127.0.0.1:{port}/" in up.stdout
    passwords = json.loads((tmp_path / "secrets.json").read_text())
    assert passwords["user_password"] in up.stdout and "clinician" in up.stdout

    assert "Demo content: archive demo-archive (3 scans)" in up.stdout
    again = subprocess.run([GC_HUB, "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert "already running" in again.stdout and "Demo content" not in again.stdout

    hub_pid = int((tmp_path / "jupyterhub.pid").read_text())
    proxy_pid = int((tmp_path / "proxy.pid").read_text())
    # JupyterHub's own proxy (Node.js), the project's pinned install: not another one on PATH.
    proxy_command = Path(f"/proc/{proxy_pid}/cmdline").read_bytes().split(b"\0")
    assert proxy_command[0].endswith(b"node") and proxy_command[1] == str(PROXY).encode()
    scientist = HubSession.login(f"http://127.0.0.1:{port}", "datascientist", passwords["user_password"])
    token = {"Authorization": f"token {scientist.new_token()}"}
    services = f"http://127.0.0.1:{port}/services"
    items = requests.get(f"{services}/archives/api/v1/archives/demo-archive/items", headers=token).json()
    assert items["count"] == 3
    demo = requests.get(f"{services}/challenges/api/v1/challenges/demo-challenge", headers=token).json()
    assert demo["my_roles"] == ["participant"]
    assert sorted(p["slug"] for p in demo["phases"]) == ["final", "predictions", "sanity-check"]
    # The demo data scientist submits the demo algorithm; the example evaluation scores it.
    phase = f"{services}/challenges/api/v1/challenges/demo-challenge/phases/sanity-check/submissions"
    submitted = requests.post(phase, json={"algorithm": "demo-otsu"}, headers=token)
    assert submitted.status_code == 201, submitted.text
    assert wait_for(
        lambda: requests.get(f"{phase}/{submitted.json()['id']}", headers=token).json()["status"] == "succeeded",
        timeout=120,
    )
    result = requests.get(f"{phase}/{submitted.json()['id']}", headers=token).json()
    assert result["evaluations"][0]["metrics"]["aggregates"]["dice"]["mean"] == 1.0

    clinician = HubSession.login(f"http://127.0.0.1:{port}", "clinician", passwords["user_password"])
    assert clinician.start_server(profile="workstation").status_code in (201, 202)
    clinician.wait_ready()
    client = docker.from_env()
    label = {"label": f"org.gc-hub.instance={instance}"}
    assert len(client.containers.list(filters=label)) == 1
    processes = descendants(hub_pid)
    assert len(processes) >= 7  # proxy, 3 services, worker, redis, culler

    down = subprocess.run(["make", "down"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "hub (pid" in down.stdout and "stopped" in down.stdout
    assert not is_running(hub_pid)
    assert [p for p in processes if is_running(p)] == []
    assert not is_running(proxy_pid)
    assert client.containers.list(all=True, filters=label) == []

    status = subprocess.run([GC_HUB, "status"], cwd=REPO, env=env, capture_output=True, text=True)
    assert status.returncode == 1 and "not running" in status.stdout


def test_up_without_images_says_to_build_them(tmp_path):
    env = {**os.environ, **hub_environment(tmp_path, "gc-hub-noimg"), "GC_IMAGE_PREFIX": "no-such-prefix"}
    up = subprocess.run([GC_HUB, "up"], cwd=REPO, env=env, capture_output=True, text=True)
    assert up.returncode == 1
    assert "not built yet: run `make images`" in up.stderr


def test_idle_culler_stops_servers_nobody_uses(tmp_path):
    instance = f"gc-hub-idle{uuid.uuid4().hex[:6]}"
    with running_hub(tmp_path, instance, extra_env={"GC_IDLE_TIMEOUT": "5"}) as hub:
        clinician = hub.login("clinician")
        assert clinician.start_server(profile="workstation").status_code in (201, 202)
        clinician.wait_ready()
        deadline = time.monotonic() + 90
        while "" in clinician.api("GET", "/users/clinician").json()["servers"]:
            assert time.monotonic() < deadline, "the idle culler did not stop the idle server"
            time.sleep(1)
        label = {"label": f"org.gc-hub.instance={instance}"}
        assert docker.from_env().containers.list(all=True, filters=label) == []
    remove_home_volumes(instance)


RUN_A_HUB = """
import sys, time
sys.path.insert(0, sys.argv[2])
from hubtools import running_hub
with running_hub(sys.argv[1], sys.argv[3]) as hub:
    print(hub.process.pid, hub.settings.port, flush=True)
    time.sleep(600)
"""


def test_a_process_stopped_with_sigterm_stops_the_hub_it_started(tmp_path):
    """A benchmark or test process ended with ``kill`` stops its hub (which runs in a session of
    its own) instead of leaving it running."""
    instance = f"gc-hub-term{uuid.uuid4().hex[:6]}"
    owner = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "python"), "-c", RUN_A_HUB, str(tmp_path), str(REPO / "tests"), instance],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        hub_pid, port = map(int, owner.stdout.readline().split())
        hub_processes = [hub_pid, *descendants(hub_pid)]
        assert requests.get(f"http://127.0.0.1:{port}/hub/api/", timeout=10).status_code == 200
        owner.terminate()
        assert owner.wait(timeout=120) == 128 + 15
        assert not [pid for pid in hub_processes if is_running(pid)], "the hub and its services are stopped"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/hub/api/", timeout=5)
    finally:
        owner.kill()  # and whatever is left, as the test above does
        env = {**os.environ, "GC_DATA_DIR": str(tmp_path)}
        subprocess.run([GC_HUB, "down"], cwd=REPO, env=env, capture_output=True)
