"""The one place where gc-hub talks to a Docker engine: running untrusted containers in a sandbox.

``sandbox_arguments`` turns a :class:`Sandbox` (typed limits) into Docker API arguments; a
:class:`Runner` creates the container, watches it (wall-clock limit, output size, cancellation,
heartbeats), keeps the end of its logs and removes it. Nothing here knows about the database.
"""

import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import DeviceRequest, Mount, Ulimit

from .container_images import write_untagged

log = logging.getLogger("gc-worker")

LOG_TAIL_LINES = 500
ROOT_USERS = {"", "0", "root"}
RUN_LABEL = "org.gc-hub.run"
INSTANCE_LABEL = "org.gc-hub.instance"


class ImageRefused(Exception):
    """The image cannot be run here; the message says why and what to do."""


@dataclass(frozen=True)
class Sandbox:
    """What one container may use. Memory includes swap; ``gpu`` asks for every GPU of the node."""

    cpu_limit: float = 2.0
    memory_limit_mb: int = 4096
    time_limit_s: float = 3600
    gpu: bool = False
    pids_limit: int = 256
    tmp_size_mb: int = 256
    output_limit_mb: int = 1024

    def describe(self):
        """The limits as a submitter should see them."""
        return {
            "cpus": self.cpu_limit,
            "memory_mb": self.memory_limit_mb,
            "time_limit_s": self.time_limit_s,
            "gpu": self.gpu,
            "processes_and_threads": self.pids_limit,
            "tmp_mb": self.tmp_size_mb,
            "output_mb": self.output_limit_mb,
            "network": "none",
        }


@dataclass(frozen=True)
class RunSpec:
    """One container to run: the image, its limits, the host folders mounted into it."""

    image: str
    sandbox: Sandbox
    input_dir: Path
    output_dir: Path
    name: str
    labels: dict = field(default_factory=dict)
    # Further read-only mounts, container path -> host path (ground truth, model weights).
    read_only_mounts: dict = field(default_factory=dict)
    # Whether an earlier attempt of the same run may have left its container behind.
    retry: bool = False


@dataclass
class Outcome:
    """How a run ended. ``stopped_because`` is None for a container that exited by itself."""

    exit_code: int | None
    oom_killed: bool = False
    stopped_because: str | None = None  # "time limit", "output limit", "cancelled"
    stdout_tail: str = ""
    stderr_tail: str = ""
    seconds: float = 0.0


def thread_variables(cpu_limit):
    """Thread-pool sizes for numpy/OpenBLAS, OpenMP and ITK: they count the host's cores otherwise,
    and every thread counts against the pids limit."""
    threads = str(max(1, math.ceil(cpu_limit)))
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS")
    return dict.fromkeys(names, threads)


# What of sandbox_arguments() goes to the container itself; the rest is its host config.
CONTAINER_KEYS = ("image", "name", "labels", "environment")


def sandbox_arguments(spec):
    """Docker API arguments (docker-py's ``containers.create`` keywords) that lock ``spec``'s container down:
    no network, no capabilities, no privilege gain, read-only root with a small /tmp, inputs
    read-only, memory with swap capped, CPU, process and file-size limits, a GPU only if asked."""
    sandbox = spec.sandbox
    memory = f"{sandbox.memory_limit_mb}m"
    mounts = [
        Mount("/input", str(spec.input_dir), type="bind", read_only=True),
        Mount("/output", str(spec.output_dir), type="bind", read_only=False),
        *(Mount(target, str(source), type="bind", read_only=True) for target, source in spec.read_only_mounts.items()),
    ]
    output_bytes = sandbox.output_limit_mb * 1024 * 1024
    arguments = {
        "image": spec.image,
        "name": spec.name,
        "labels": dict(spec.labels),
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,noexec,nosuid,size={sandbox.tmp_size_mb}m"},
        "mounts": mounts,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(sandbox.cpu_limit * 1e9),
        "pids_limit": sandbox.pids_limit,
        # No single file may outgrow the output limit; the Runner watches the total.
        "ulimits": [Ulimit(name="fsize", soft=output_bytes, hard=output_bytes)],
        "environment": {"HOME": "/tmp", **thread_variables(sandbox.cpu_limit)},
    }
    if sandbox.gpu:
        arguments["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return arguments


def folder_size(path):
    """Bytes in the files under ``path`` (links not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def image_user(attributes):
    """The user an image runs as, from ``docker image inspect`` attributes."""
    return (attributes.get("Config") or {}).get("User") or ""


def is_numeric_user(user):
    """Whether ``user`` is ``uid`` or ``uid:gid`` in numbers (a name needs the image's /etc/passwd)."""
    return all(part.strip().isdigit() for part in user.split(":"))


def is_platform_image(reference, prefix):
    """Whether ``reference`` names one of the platform's own images (built by images/build.sh
    under the image prefix). Uploads cannot take such a name: their tags are dropped on loading."""
    return reference.startswith(f"{prefix}/") and "@" not in reference


def runs_as_root(user):
    name = user.split(":", 1)[0].strip()
    return name in ROOT_USERS


class Runner:
    """Runs sandboxed containers on one Docker engine.

    ``poll_s`` is how often a running container is checked against its limits and for
    cancellation; ``grace_s`` how long a container has after SIGTERM before SIGKILL."""

    def __init__(self, client=None, *, instance="gc-hub", poll_s=0.25, grace_s=2.0):
        # A forked work horse makes its own client; the worker tells it the engine's API version
        # (GC_DOCKER_API_VERSION) so that it need not ask the engine again.
        self.client = client or docker.from_env(timeout=60, version=os.environ.get("GC_DOCKER_API_VERSION") or "auto")
        self.instance = instance
        self.poll_s = poll_s
        self.grace_s = grace_s

    def has_gpu(self):
        """Whether this engine can hand GPUs to containers (the NVIDIA runtime is installed)."""
        runtimes = self.client.info().get("Runtimes") or {}
        return "nvidia" in runtimes

    def image_digest(self, reference, *, tarball=None):
        """The image ID (``sha256:…``) of ``reference``, loading ``tarball`` if the engine lacks
        it. Refuses images that run as root."""
        try:
            image = self.client.images.get(reference)
        except ImageNotFound:
            if tarball is None:
                raise ImageRefused(
                    f"the container image {reference} is not on this node's Docker engine; "
                    "upload it as a `docker save` tarball or build it here"
                ) from None
            image = self.load_image(tarball)
        self.refuse_root(image, reference)
        return image.id

    def refuse_root(self, image, reference):
        """ImageRefused if ``image`` runs as root: by its configured user, or by the uid that its
        named user has in the image's own /etc/passwd."""
        user = image_user(image.attrs)
        if runs_as_root(user) or (not is_numeric_user(user) and self.resolve_uid(image.id) == 0):
            raise ImageRefused(
                f"the container image {reference} runs as root; add `USER 1000` (any non-root user) to its Dockerfile"
            )

    def resolve_uid(self, image_id):
        """The uid that an image's named user has in its own /etc/passwd (asked with ``id -u``,
        in the sandbox); 0 when it cannot be told, which refuses the image as if it were root."""
        try:
            output = self.client.containers.run(
                image_id, entrypoint=["id", "-u"], command=[], remove=True, network_mode="none",
                cap_drop=["ALL"], security_opt=["no-new-privileges"], read_only=True, mem_limit="64m",
                labels={INSTANCE_LABEL: self.instance},
            )
            return int(output.strip())
        except (DockerException, ValueError):
            return 0

    def has_image(self, reference):
        try:
            self.client.images.get(reference)
            return True
        except ImageNotFound:
            return False


    def forget_image(self, image_id):
        """Remove an image from the engine (one that was refused after loading)."""
        try:
            self.client.images.remove(image_id, force=True)
        except DockerException as error:
            log.warning("could not remove image %s: %s", image_id, error)

    def load_image(self, tarball):
        """Load a checked ``docker save`` tarball into the engine without the tags it names
        (see container_images.write_untagged), from a plain copy next to it."""
        with tempfile.NamedTemporaryFile(dir=Path(tarball).parent, suffix=".untagged.tar") as plain:
            write_untagged(tarball, plain)
            plain.flush()
            plain.seek(0)
            images = self.client.images.load(plain)
        if len(images) != 1:
            raise ImageRefused(f"{Path(tarball).name} held {len(images)} images; exactly one is needed")
        return images[0]

    def run(self, spec, *, cancelled=lambda: False, heartbeat=lambda: None, heartbeat_s=2.0):
        """Run ``spec`` to its end and remove the container.

        While it runs, ``cancelled()`` is asked every ``poll_s`` (True kills the container) and
        ``heartbeat()`` is called every ``heartbeat_s``; the wall-clock and output limits are
        enforced here. Calls go to the engine's API by container id: one request each."""
        api = self.client.api
        arguments = sandbox_arguments(spec)
        container = {key: arguments.pop(key) for key in CONTAINER_KEYS}
        container["labels"] = {INSTANCE_LABEL: self.instance, **container["labels"]}
        if spec.retry:
            self.remove(spec.name)  # a leftover from the earlier attempt
        container_id = api.create_container(**container, host_config=api.create_host_config(**arguments))["Id"]
        start = time.monotonic()
        try:
            api.start(container_id)
            stopped_because, exit_code = self._watch(container_id, spec, start, cancelled, heartbeat, heartbeat_s)
            outcome = Outcome(exit_code=exit_code, stopped_because=stopped_because, seconds=time.monotonic() - start)
            if exit_code == 137:  # killed: by us, or by the kernel for memory
                outcome.oom_killed = bool(api.inspect_container(container_id)["State"].get("OOMKilled"))
            outcome.stdout_tail = self._tail(container_id, stdout=True)
            outcome.stderr_tail = self._tail(container_id, stderr=True)
        finally:
            self._remove_container(container_id)
        return outcome

    def _watch(self, container_id, spec, start, cancelled, heartbeat, heartbeat_s):
        """Wait for the container to exit: (why it was stopped or None, its exit code)."""
        api = self.client.api
        limit_bytes = spec.sandbox.output_limit_mb * 1024 * 1024
        last_beat = start
        while True:
            try:
                return None, api.wait(container_id, timeout=self.poll_s)["StatusCode"]
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                pass
            now = time.monotonic()
            if now - start > spec.sandbox.time_limit_s:
                reason = "time limit"
            elif folder_size(spec.output_dir) > limit_bytes:
                reason = "output limit"
            elif cancelled():
                reason = "cancelled"
            else:
                if now - last_beat >= heartbeat_s:
                    heartbeat()
                    last_beat = now
                continue
            log.info("stopping %s: %s", spec.name, reason)
            api.stop(container_id, timeout=0 if reason == "output limit" else math.ceil(self.grace_s))
            return reason, api.wait(container_id, timeout=max(30, self.grace_s * 5))["StatusCode"]

    def _tail(self, container_id, **stream):
        stream = {"stdout": False, "stderr": False, **stream}
        data = self.client.api.logs(container_id, tail=LOG_TAIL_LINES, **stream)
        return data.decode("utf-8", errors="replace")

    def _remove_container(self, container_id):
        try:
            self.client.api.remove_container(container_id, force=True, v=True)
        except NotFound:
            pass
        except APIError as error:  # removal already in progress, say
            log.warning("could not remove container %s: %s", container_id, error)

    def remove(self, name):
        """Remove the container called ``name`` if there is one (killing it if it runs)."""
        try:
            self._remove_container(self.client.containers.get(name).id)
        except NotFound:
            pass

    def remove_labelled(self, run_label):
        """Remove every container of this instance with ``org.gc-hub.run=<run_label>``."""
        filters = {"label": [f"{INSTANCE_LABEL}={self.instance}", f"{RUN_LABEL}={run_label}"]}
        for container in self.client.containers.list(all=True, filters=filters):
            self._remove_container(container.id)
