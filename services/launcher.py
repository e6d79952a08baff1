"""``gc-hub up | down | status``: start and stop the whole platform on this machine.

The hub runs in the background in its own process group; it starts the proxy, the services, the
worker and the embedded Redis. ``down`` stops it, waits for every process to end and removes
any container that the instance left behind.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from docker.errors import DockerException
from traitlets.config import Config

from hub_config.cluster import ClusterSettingsError, check_cluster
from hub_config.groups import DEMO_ADMIN, DEMO_USERS
from hub_config.network import DockerUnavailable, docker_gateway
from hub_config.secrets import SECRETS_FILE
from hub_config.settings import GcHub

from .core.settings import environment_values
from .demo import ALGORITHM_IMAGE, EVALUATION_IMAGE, seed_demo
from .imaging.limits import ImportLimits
from .runner import RegistryError, Runner


class LaunchError(RuntimeError):
    """Something the person starting the platform must fix; the message says what."""


def example_image_ids():
    """The IDs of the example images on the local engine (what the demo pins), by name."""
    runner = Runner()
    found = {name: runner.image_id(name) for name in (ALGORITHM_IMAGE, EVALUATION_IMAGE)}
    return {name: image_id for name, image_id in found.items() if image_id}


def load_settings():
    return GcHub.load(Config())


def is_running(pid):
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _read_pid(path):
    try:
        return int(Path(path).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def descendants(pid):
    """Pids of every live process below ``pid`` (its services run in sessions of their own)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return [p for p in found if is_running(p)]


def hub_pid(settings):
    """The pid of this instance's running hub, or None."""
    pid = _read_pid(Path(settings.data_dir) / "jupyterhub.pid")
    return pid if pid and is_running(pid) else None


def check_docker(settings):
    """Fail with a message that says what to do when Docker or an image is missing."""
    try:
        docker_gateway(settings.docker_network)
    except DockerUnavailable as e:
        raise LaunchError(str(e)) from None
    runner = Runner(instance=settings.instance)
    missing = [image for image in (settings.workstation_image, settings.training_image, importer_image(settings))
               if not runner.has_image(image)]  # fmt: skip
    if missing:
        raise LaunchError(f"Image(s) {', '.join(missing)} not built yet: run `make images`.")


def importer_image(settings):
    return environment_values(ImportLimits).get("image") or f"{settings.image_prefix}/importer:latest"


def platform_images(settings):
    """The platform's own images that a node may need: users' images, the importer, the examples."""
    return [settings.workstation_image, settings.training_image, importer_image(settings), ALGORITHM_IMAGE,
            EVALUATION_IMAGE]  # fmt: skip


def push_platform_images(settings, progress=print):
    """In a cluster: push the platform's images (those this engine has) to the registry, under their
    own names, for the nodes to pull."""
    runner = Runner(instance=settings.instance)
    for name in platform_images(settings):
        image_id = runner.image_id(name)
        if image_id is None:
            continue
        repository, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
        try:
            runner.push_image(image_id, f"{settings.registry}/{repository}", tag)
        except RegistryError as error:
            raise LaunchError(
                f"{error}. The registry must be reachable from this machine and trusted by its Docker engine "
                f"(TLS, or {settings.registry} in insecure-registries of /etc/docker/daemon.json on a private network)."
            ) from None
        progress(f"pushed {name} to {settings.registry}")


def start_hub(settings, config_file="jupyterhub_config.py", log_file=None, env=None):
    """Start JupyterHub in the background, in a process group of its own; return the Popen."""
    data = Path(settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    log_file = Path(log_file or data / "hub.log")
    command = [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config_file)]
    with open(log_file, "ab") as log:  # the hub writes to its own copy of the file descriptor
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # a hub started from a script in the background inherits an ignored SIGINT and passes
            # it to its services, which then take 30 s each to stop: give them the default back
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            env={**os.environ, **(env or {}), "GC_DATA_DIR": str(data)},
        )


def wait_until_ready(settings, process, timeout=120, log_file=None, progress=None):
    """Block until the hub answers through the proxy and its web services are up."""
    url = f"http://127.0.0.1:{settings.port}/hub/api/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = ""
            if log_file and Path(log_file).exists():
                tail = "\n".join(Path(log_file).read_text(errors="replace").splitlines()[-25:])
            raise LaunchError(f"The hub exited with code {process.returncode}. Its log ends with:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if progress:
            progress()
        time.sleep(0.25)
    raise LaunchError(f"The hub did not answer at {url} within {timeout} s; see {log_file}.")


def stop_hub(settings, timeout=60):
    """Stop the hub (which stops proxy, services and servers), then clean up what is left.

    Returns a list of lines saying what was stopped.
    """
    data = Path(settings.data_dir)
    said = []
    pid = hub_pid(settings)
    if pid:
        children = descendants(pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if is_running(pid):
            os.kill(pid, signal.SIGKILL)
            said.append(f"hub (pid {pid}) did not stop within {timeout} s: killed")
        else:
            said.append(f"hub (pid {pid}) stopped")
        survivors = [p for p in children if is_running(p)]
        for survivor in survivors:
            os.kill(survivor, signal.SIGKILL)
        if survivors:
            said.append(f"killed {len(survivors)} process(es) the hub left running")
    proxy = _read_pid(data / "proxy.pid")
    if proxy and is_running(proxy):
        os.kill(proxy, signal.SIGTERM)
        said.append(f"proxy (pid {proxy}) stopped")
    removed = remove_containers(settings.instance)
    if removed:
        said.append(f"removed containers: {', '.join(removed)}")
    if settings.spawner == "swarm":
        services = Runner(instance=settings.instance).remove_instance_services()
        if services:
            said.append(f"removed swarm services: {', '.join(services)}")
    return said or ["nothing was running"]


def remove_containers(instance):
    """Remove every container labelled with this instance; return their names."""
    try:
        return Runner(instance=instance).remove_instance_containers()
    except DockerException:  # no engine to leave containers on
        return []


def credentials(settings):
    """The demo logins, as lines to print."""
    stored = json.loads((Path(settings.data_dir) / SECRETS_FILE).read_text())
    user_password = settings.user_password or stored["user_password"]
    admin_password = settings.admin_password or stored["admin_password"]
    lines = []
    for group, names in DEMO_USERS.items():
        lines.append(f"  {', '.join(names):<16} ({group})  password: {user_password}")
    lines.append(f"  {DEMO_ADMIN:<16} (hub admin)  password: {admin_password}")
    return lines


def up(settings):
    if pid := hub_pid(settings):
        print(f"gc-hub is already running (pid {pid}) at {settings.public_url}")
    else:
        try:
            check_cluster(settings)
        except ClusterSettingsError as error:
            raise LaunchError(str(error)) from None
        check_docker(settings)
        if settings.spawner == "swarm":
            push_platform_images(settings)
        log_file = Path(settings.data_dir) / "hub.log"
        print(f"Starting gc-hub (log: {log_file}) ", end="", flush=True)
        started = time.monotonic()
        process = start_hub(settings, log_file=log_file)
        wait_until_ready(settings, process, log_file=log_file, progress=lambda: print(".", end="", flush=True))
        print(f" ready in {time.monotonic() - started:.1f} s")
    if settings.demo:
        for made in seed_demo(settings.database_url, settings.data_dir, image_ids=example_image_ids()):
            print(f"Demo content: {made}")
    print(f"\nOpen {settings.public_url} and log in as one of:")
    if settings.demo:
        print("\n".join(credentials(settings)))
    print(
        "\nResearchers and data scientists may start a training environment (JupyterLab) or a "
        "workstation;\nclinicians a workstation (the reading app: reader studies in the image viewer). "
        "Stop everything with `make down`."
    )


def down(settings):
    for line in stop_hub(settings):
        print(f"gc-hub: {line}")


def status(settings):
    pid = hub_pid(settings)
    print(f"gc-hub is running (pid {pid}) at {settings.public_url}" if pid else "gc-hub is not running")
    return 0 if pid else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gc-hub", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        if args.command == "status":
            sys.exit(status(settings))
        {"up": up, "down": down}[args.command](settings)
    except LaunchError as e:
        print(f"\ngc-hub: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
