"""The one place where gc-hub talks to a Docker engine: running untrusted containers in a sandbox.

``sandbox_arguments`` turns a :class:`Sandbox` (typed limits) into Docker API arguments; a
:class:`Runner` creates the container, watches it (wall-clock limit, output size, cancellation,
heartbeats), keeps the end of its logs and removes it. Nothing here knows about the database.
"""

import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
from docker.errors import APIError, ImageNotFound, NotFound
from docker.types import DeviceRequest, Mount, Ulimit

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


def sandbox_arguments(spec):
    """Docker API arguments (``containers.create`` keywords) that lock ``spec``'s container down:
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
        "detach": True,
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


def runs_as_root(user):
    name = user.split(":", 1)[0].strip()
    return name in ROOT_USERS


class Runner:
    """Runs sandboxed containers on one Docker engine.

    ``poll_s`` is how often a running container is checked against its limits and for
    cancellation; ``grace_s`` how long a container has after SIGTERM before SIGKILL."""

    def __init__(self, client=None, *, instance="gc-hub", poll_s=0.1, grace_s=2.0):
        self.client = client or docker.from_env(timeout=60)
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
        if runs_as_root(image_user(image.attrs)):
            raise ImageRefused(
                f"the container image {reference} runs as root; add `USER 1000` (any non-root user) to its Dockerfile"
            )
        return image.id

    def load_image(self, tarball):
        """Load a ``docker save`` tarball into the engine, streaming it from disk."""
        with open(tarball, "rb") as stream:
            images = self.client.images.load(stream)
        if len(images) != 1:
            raise ImageRefused(f"{Path(tarball).name} held {len(images)} images; exactly one is needed")
        return images[0]

    def run(self, spec, *, cancelled=lambda: False, heartbeat=lambda: None, heartbeat_s=2.0):
        """Run ``spec`` to its end and remove the container.

        While it runs, ``cancelled()`` is asked every ``poll_s`` (True kills the container) and
        ``heartbeat()`` is called every ``heartbeat_s``; the wall-clock and output limits are
        enforced here."""
        labels = {INSTANCE_LABEL: self.instance, **spec.labels}
        arguments = sandbox_arguments(spec) | {"labels": labels}
        self.remove(spec.name)  # a leftover from an earlier attempt of the same run
        container = self.client.containers.create(**arguments)
        start = time.monotonic()
        outcome = Outcome(exit_code=None)
        try:
            container.start()
            outcome.stopped_because = self._watch(container, spec, start, cancelled, heartbeat, heartbeat_s)
            container.reload()
            state = container.attrs["State"]
            outcome.exit_code = state.get("ExitCode")
            outcome.oom_killed = bool(state.get("OOMKilled"))
            outcome.seconds = time.monotonic() - start
            outcome.stdout_tail = self._tail(container, stdout=True)
            outcome.stderr_tail = self._tail(container, stderr=True)
        finally:
            self._remove_container(container)
        return outcome

    def _watch(self, container, spec, start, cancelled, heartbeat, heartbeat_s):
        """Wait for ``container`` to exit; stop it on a limit or a cancellation and say which."""
        limit_bytes = spec.sandbox.output_limit_mb * 1024 * 1024
        last_beat = start
        while True:
            try:
                container.wait(timeout=self.poll_s)
                return None
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
            container.stop(timeout=0 if reason == "output limit" else math.ceil(self.grace_s))
            container.wait(timeout=max(30, self.grace_s * 5))
            return reason

    def _tail(self, container, **stream):
        stream = {"stdout": False, "stderr": False, **stream}
        data = container.logs(tail=LOG_TAIL_LINES, **stream)
        return data.decode("utf-8", errors="replace")

    def _remove_container(self, container):
        try:
            container.remove(force=True, v=True)
        except NotFound:
            pass
        except APIError as error:  # removal already in progress, say
            log.warning("could not remove container %s: %s", container.name, error)

    def remove(self, name):
        """Remove the container called ``name`` if there is one (killing it if it runs)."""
        try:
            self._remove_container(self.client.containers.get(name))
        except NotFound:
            pass

    def remove_labelled(self, run_label):
        """Remove every container of this instance with ``org.gc-hub.run=<run_label>``."""
        filters = {"label": [f"{INSTANCE_LABEL}={self.instance}", f"{RUN_LABEL}={run_label}"]}
        for container in self.client.containers.list(all=True, filters=filters):
            self._remove_container(container)
