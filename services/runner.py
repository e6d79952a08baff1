"""The one place where gc-hub talks to a Docker engine: running untrusted containers in a sandbox.

``sandbox_arguments`` turns a :class:`Sandbox` (typed limits) into Docker API arguments; a
:class:`Runner` creates the container, watches it (wall-clock limit, output size, cancellation,
heartbeats), keeps the end of its logs and removes it. Nothing here knows about the database.

Nothing of an image runs outside that sandbox. The user a container runs as is worked out
without starting the image (:meth:`Runner.check_image` reads its /etc/passwd and /etc/group from
a container that is created and never started) and handed to Docker as numbers; uploaded
tarballs reach the engine only as canonical copies, under their ID and no name; builds run
with no network and with memory, CPU and time limits.
"""

import contextlib
import io
import json
import logging
import math
import os
import posixpath
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import requests
import urllib3
from docker.errors import APIError, DockerException, ImageNotFound, NotFound, create_api_error_from_http_exception
from docker.transport import UnixHTTPAdapter
from docker.types import DeviceRequest, LogConfig, Mount, Ulimit

from .container_images import MAX_TARBALL_BYTES, MAX_USER_FILE_BYTES, ImageEntry, canonical_tarball, resolve_user
from .core.errors import InvalidValue

log = logging.getLogger("gc-worker")

LOG_TAIL_LINES = 500
# The engine keeps at most the last two files of this size of a container's log, so a container
# cannot fill the engine's disk by printing, and its whole log can be read at the end. (With one
# file, a flood of stdout copied just after a last line of stderr would start the file over.)
LOG_FILE_MB = 2
LOG_CONFIG = LogConfig(type="json-file", config={"max-size": f"{LOG_FILE_MB}m", "max-file": "2"})
RUN_LABEL = "org.gc-hub.run"
INSTANCE_LABEL = "org.gc-hub.instance"
# The entrypoint of containers that are only created to read an image's files: never started.
NEVER_STARTED = "/gc-hub-never-started"
# Go's os.FileMode bits, as the engine reports a path's mode.
GO_MODE_LINK = 1 << 27
GO_MODE_TYPE = (1 << 31) | GO_MODE_LINK | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)


class ImageRefused(Exception):
    """The image cannot be run here; the message says why and what to do."""


class ImageMissing(ImageRefused):
    """The engine does not have the image."""


class RegistryError(Exception):
    """The cluster's registry could not take or give an image; the message says why."""


class BuildFailed(Exception):
    """An image build failed or was stopped; the message says why, with the end of its log."""


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
    # The command to run instead of the image's own ENTRYPOINT and CMD (a helper's check, say).
    entrypoint: tuple | None = None


@dataclass(frozen=True)
class CheckedImage:
    """An image the platform may run: its ID, the numeric ``uid:gid`` it runs as, and the paths
    its config declares as VOLUMEs (each gets a size-limited tmpfs instead of a Docker volume)."""

    id: str
    user: str
    volumes: tuple = ()


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
CONTAINER_KEYS = ("image", "name", "labels", "environment", "user", "entrypoint")


def sandbox_arguments(spec, image=None):
    """Docker API arguments (docker-py's ``containers.create`` keywords) that lock ``spec``'s container down:
    no network, no capabilities, no privilege gain, read-only root with a small /tmp, inputs
    read-only, memory with swap capped, CPU, process, file-size and log-size limits, a GPU only
    if asked.
    With the :class:`CheckedImage` ``image``: its ID instead of ``spec.image``, its numeric user,
    and a tmpfs of /tmp's size at each of its VOLUMEs that nothing else is mounted at."""
    sandbox = spec.sandbox
    memory = f"{sandbox.memory_limit_mb}m"
    mounts = [
        Mount("/input", str(spec.input_dir), type="bind", read_only=True),
        Mount("/output", str(spec.output_dir), type="bind", read_only=False),
        *(Mount(target, str(source), type="bind", read_only=True) for target, source in spec.read_only_mounts.items()),
    ]
    output_bytes = sandbox.output_limit_mb * 1024 * 1024
    tmpfs = {"/tmp": f"rw,noexec,nosuid,nodev,size={sandbox.tmp_size_mb}m"}
    taken = {posixpath.normpath(target) for target in (*tmpfs, *(mount["Target"] for mount in mounts))}
    for path in image.volumes if image else ():
        if posixpath.normpath(path) not in taken:
            # Not Docker's anonymous volume (host disk, no size limit): the memory limit caps these too.
            tmpfs[posixpath.normpath(path)] = f"rw,nosuid,nodev,size={sandbox.tmp_size_mb}m"
    arguments = {
        "image": image.id if image else spec.image,
        "name": spec.name,
        "labels": dict(spec.labels),
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "read_only": True,
        "tmpfs": tmpfs,
        "mounts": mounts,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(sandbox.cpu_limit * 1e9),
        "pids_limit": sandbox.pids_limit,
        # No single file may outgrow the output limit; the Runner watches the total.
        "ulimits": [Ulimit(name="fsize", soft=output_bytes, hard=output_bytes)],
        "environment": {"HOME": "/tmp", **thread_variables(sandbox.cpu_limit)},
        "log_config": LOG_CONFIG,
    }
    if image:
        arguments["user"] = image.user
    if spec.entrypoint is not None:
        arguments["entrypoint"] = list(spec.entrypoint)
    if sandbox.gpu:
        arguments["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return arguments


def build_limits(sandbox, engine_cpus):
    """docker-py's ``container_limits`` of a build's steps: memory with swap capped, and as many
    of the engine's CPUs as the sandbox's CPU limit rounds up to."""
    memory = sandbox.memory_limit_mb * 1024 * 1024
    cpus = max(1, min(engine_cpus, math.ceil(sandbox.cpu_limit)))
    return {"memory": memory, "memswap": memory, "cpusetcpus": f"0-{cpus - 1}"}


class OnePoolAdapter(UnixHTTPAdapter):
    """docker-py's adapter for an engine's Unix socket keeps a pool of connections per URL, so
    each request to a new path (a container's create, start, wait, logs, remove) opens a
    connection of its own; this one keeps a single pool for the socket and reuses them."""

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self.get_connection("http+docker://localhost", proxies)


def on_unix_socket(client):
    """``client`` (a DockerClient) made cheaper per request when its engine is on a Unix socket:
    its connections are reused, and no request looks for proxy settings in the environment
    (requests does so on each request; no proxy stands between a process and a local socket)."""
    adapter = client.api.get_adapter(client.api.base_url)
    if type(adapter) is UnixHTTPAdapter:
        reusing = OnePoolAdapter(adapter.socket_path, timeout=adapter.timeout, max_pool_size=adapter.max_pool_size)
        client.api.mount("http+docker://", reusing)
        adapter.close()
        client.api.trust_env = False
    return client


def demultiplexed(data):
    """``(stdout, stderr)`` bytes of the log of a container without a TTY, as the engine sends it:
    frames of a stream byte (1 stdout, 2 stderr), three zero bytes, a 4-byte big-endian length."""
    streams = {1: bytearray(), 2: bytearray()}
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "big")
        if data[offset] in streams:
            streams[data[offset]] += data[offset + 8 : offset + 8 + size]
        offset += 8 + size
    return bytes(streams[1]), bytes(streams[2])


def _last_lines(text, count=LOG_TAIL_LINES):
    """The last ``count`` lines of ``text``, with their line ends."""
    return "".join(text.splitlines(keepends=True)[-count:])


def folder_size(path):
    """Bytes in the files under ``path`` (links not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def is_platform_image(reference, prefix):
    """Whether ``reference`` names one of the platform's own images (built by images/build.sh
    under the image prefix). Uploads cannot take such a name: they are loaded under no name."""
    return reference.startswith(f"{prefix}/") and "@" not in reference


class Runner:
    """Runs sandboxed containers on one Docker engine.

    ``poll_s`` is how often a running container is checked against its limits and for
    cancellation; ``grace_s`` how long a container has after SIGTERM before SIGKILL. What
    :meth:`check_image` found is kept per image ID, in memory and, with ``cache_dir`` (a folder
    only the platform writes to), in a small file per ID for the node's other workers and for
    the next start."""

    def __init__(self, client=None, *, instance="gc-hub", api_version="auto", poll_s=0.25, grace_s=2.0, cache_dir=None):
        # gc-worker finds the engine's API version once and passes it on (ExecutionSettings.
        # docker_api_version), so that each runner it makes need not ask the engine again.
        self.client = client or on_unix_socket(docker.from_env(timeout=60, version=api_version))
        self.instance = instance
        self.poll_s = poll_s
        self.grace_s = grace_s
        self._checked = {}  # image ID -> CheckedImage: what an ID holds never changes (whether the engine holds it may)
        self.cache_dir = Path(cache_dir) if cache_dir else None

    @property
    def api_version(self):
        """The API version this runner speaks with its engine."""
        return self.client.api.api_version

    def has_gpu(self):
        """Whether this engine can hand GPUs to containers (the NVIDIA runtime is installed)."""
        runtimes = self.client.info().get("Runtimes") or {}
        return "nvidia" in runtimes

    def image_digest(self, reference, *, tarball=None, pull=None, pinned=None):
        """The image ID (``sha256:…``) of ``reference``; if the engine lacks it, pulled from the
        registry by ``pull`` (``repo@sha256:…``) or else loaded from ``tarball``. What arrives must be
        the image ``pinned`` (or ``reference``, when that is an ID). Refuses images that may not run
        (see :meth:`check_image`)."""
        try:
            return self.check_image(reference).id
        except ImageMissing:
            if tarball is None and pull is None:
                raise
        expected = pinned or (reference if reference.startswith("sha256:") else None)
        if pull is not None:
            try:
                image_id = self.pull_image(pull, expected=expected)
            except ImageMissing:
                if tarball is None:
                    raise
            else:
                if not reference.startswith("sha256:"):  # a platform image, known here by its name from now on
                    self._name(image_id, reference)
                return self.check_image(image_id, name=reference).id
        try:
            image_id = self.load_image(tarball)
        except InvalidValue as problem:
            raise ImageRefused(f"the container image {reference} could not be loaded here: {problem}") from None
        if expected and image_id != expected:
            raise ImageRefused(f"the tarball of the container image {reference} holds {image_id} instead")
        return image_id

    def push_image(self, image_id, repository, tag=None):
        """Push image ``image_id`` to ``repository`` (``registry/name``) under ``tag`` (default: made of
        its ID); the ``repository@sha256:…`` that pulls exactly it. RegistryError if the registry
        refuses it."""
        tag = tag or image_id.removeprefix("sha256:")[:16]
        image = self.client.images.get(image_id)
        image.tag(repository, tag)
        try:
            for line in self.client.api.push(repository, tag=tag, stream=True, decode=True):
                if line.get("error"):
                    raise RegistryError(f"the registry refused {repository}:{tag}: {line['error']}")
        except DockerException as error:
            raise RegistryError(f"the registry could not be reached to push {repository}: {error}") from None
        image.reload()
        for pinned in image.attrs.get("RepoDigests") or []:
            if pinned.startswith(f"{repository}@"):
                return str(pinned)
        raise RegistryError(f"the engine pushed {repository}:{tag} but names no digest for it")

    def pull_platform_image(self, reference, registry):
        """Make sure the engine has the platform's image ``reference`` (its importer, its training image):
        pulled from ``registry`` and named ``reference`` here if it lacks it. ImageMissing if the
        registry does not have it either."""
        if registry and not self.has_image(reference):
            self._name(self.pull_image(f"{registry}/{reference}"), reference)

    def _name(self, image_id, reference):
        repository, tag = docker.utils.parse_repository_tag(reference)
        self.client.images.get(image_id).tag(repository, tag or "latest")

    def pull_image(self, reference, *, expected=None):
        """Pull ``reference`` (``repo@sha256:…`` or ``repo:tag``) from its registry; its image ID, which
        must be ``expected`` when given (an image that is not is removed again). ImageMissing if the
        registry does not give it."""
        brought = not self.has_image(reference)
        try:
            image = self.client.images.pull(reference)
        except DockerException as error:
            raise ImageMissing(
                f"the container image {reference} could not be pulled from the registry: {error}"
            ) from None
        if expected and image.id != expected:
            if brought:
                self.forget_image(reference)
            raise ImageRefused(f"the registry's {reference} holds the image {image.id}, not {expected} as pinned")
        return str(image.id)

    def check_image(self, reference, *, name=None):
        """The :class:`CheckedImage` of ``reference`` (an ID or a name; ``name`` is how messages
        call it). ImageRefused if it runs as root, if its user cannot be looked up, or if it
        declares a VOLUME that is not an absolute path. What was found is kept per image ID, but
        the engine is asked each time whether it still holds the image: an image removed from it
        (by an operator, a prune, a test) is loaded again from its tarball, not run by a stale
        record."""
        name = name or reference
        try:
            image = self.client.images.get(reference)
        except ImageNotFound:
            raise ImageMissing(
                f"the container image {name} is not on this node's Docker engine; "
                "upload it as a `docker save` tarball or build it here"
            ) from None
        if image.id not in self._checked:
            self._checked[image.id] = self._remembered(image.id) or self._remember(self._check(image, name))
        return self._checked[image.id]

    def _check(self, image, name):
        config = image.attrs.get("Config") or {}
        volumes = tuple(sorted(config.get("Volumes") or {}))
        for path in volumes:
            if not path.startswith("/"):
                raise ImageRefused(
                    f"the container image {name} declares VOLUME {path!r}, which is not an absolute "
                    "path; remove it from its Dockerfile or make it absolute"
                )
        uid, gid = self._user_of(image.id, str(config.get("User") or ""), volumes, name)
        return CheckedImage(image.id, f"{uid}:{gid}", volumes)

    def _cache_file(self, image_id):
        algorithm, _, digest = image_id.partition(":")
        if (
            self.cache_dir is None
            or algorithm != "sha256"
            or len(digest) != 64
            or set(digest) - set("0123456789abcdef")
        ):
            return None
        return self.cache_dir / f"{digest}.json"

    def _remembered(self, image_id):
        """The CheckedImage another process found for ``image_id``, if it left one."""
        path = self._cache_file(image_id)
        try:
            found = json.loads(path.read_text()) if path else None
            return found and CheckedImage(image_id, str(found["user"]), tuple(map(str, found["volumes"])))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remember(self, checked):
        path = self._cache_file(checked.id)
        if path:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.{os.getpid()}")
                partial.write_text(json.dumps({"user": checked.user, "volumes": list(checked.volumes)}))
                os.replace(partial, path)
            except OSError as error:
                log.warning("could not remember the checked image %s: %s", checked.id, error)
        return checked

    def _user_of(self, image_id, spec, volumes, name):
        """``(uid, gid)`` of image ``image_id`` whose USER is ``spec``, its /etc/passwd and
        /etc/group read (if a name needs them) from a container that is created, never started,
        and removed."""
        container_id = None

        def read_entry(path):
            nonlocal container_id
            if container_id is None:
                container_id = self._unstarted(image_id, volumes)
            return self._entry(container_id, path)

        try:
            return resolve_user(spec, read_entry)
        except InvalidValue as problem:
            raise ImageRefused(f"the container image {name} {problem}") from None
        finally:
            if container_id is not None:
                self._remove_container(container_id)

    def _unstarted(self, image_id, volumes):
        """A container of ``image_id`` to read files from; it has no command that exists, and its
        VOLUMEs are tmpfs mounts (which are not mounted before a start) rather than Docker volumes."""
        api = self.client.api
        host_config = api.create_host_config(
            network_mode="none",
            cap_drop=["ALL"],
            read_only=True,
            tmpfs={posixpath.normpath(p): "size=1m" for p in volumes},
        )
        return api.create_container(
            image_id, entrypoint=[NEVER_STARTED], command=[], network_disabled=True,
            labels={INSTANCE_LABEL: self.instance}, host_config=host_config,
        )["Id"]  # fmt: skip

    def _entry(self, container_id, path):
        """The :class:`ImageEntry` at ``path`` in the (never started) container, or None. The engine
        resolves the folders on the way inside the image's root; a link at ``path`` itself is
        returned as a link, and a file's bytes are read only up to MAX_USER_FILE_BYTES."""
        try:
            stream, stat = self.client.api.get_archive(container_id, path)
        except NotFound:
            return None
        except APIError as error:  # links in a loop, say; its words name host paths, so they stay in the log
            log.info("%s of image container %s cannot be read: %s", path, container_id, error)
            return ImageEntry("unreadable")
        mode, size = int(stat.get("mode") or 0), int(stat.get("size") or 0)
        if not mode & GO_MODE_LINK and (mode & GO_MODE_TYPE or size > MAX_USER_FILE_BYTES):
            stream.close()  # a folder's or a huge file's archive is not read at all
            return ImageEntry("other" if mode & GO_MODE_TYPE else "file", size=size)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            if member is not None and member.issym():
                return ImageEntry("link", target=member.linkname)
            if member is not None and member.isfile():
                return ImageEntry("file", data=tar.extractfile(member).read(), size=member.size)
        return ImageEntry("other")

    def image_id(self, reference):
        """The ID of image ``reference`` (a name or an ID) on the engine, or None if it lacks it."""
        try:
            return self.client.images.get(reference).id
        except ImageNotFound:
            return None

    def has_image(self, reference):
        return self.image_id(reference) is not None

    def forget_image(self, image_id):
        """Remove an image from the engine (one that was refused after loading)."""
        try:
            self.client.images.remove(image_id, force=True)
        except DockerException as error:
            log.warning("could not remove image %s: %s", image_id, error)

    def load_image(self, tarball, *, max_bytes=MAX_TARBALL_BYTES):
        """Check a ``docker save`` tarball and load a canonical copy of it (see
        container_images.canonical_tarball): the image gets its ID and no name. Its ID, which is
        checked to be the digest of the verified config; an image this load brought to the
        engine that :meth:`check_image` refuses is removed again. InvalidValue or ImageRefused
        say what is wrong with the tarball."""
        with canonical_tarball(tarball, max_bytes=max_bytes) as (found, chunks):
            image_id = found.config_digest
            brought = not self.has_image(image_id)
            loaded = [image.id for image in self.client.images.load(chunks)]
        if loaded != [image_id]:
            raise ImageRefused(
                f"the engine loaded {', '.join(loaded) or 'nothing'} from the tarball, not the image "
                f"{image_id} that its config's digest names"
            )
        try:
            return self.check_image(image_id, name="in this tarball").id
        except ImageRefused:
            if brought:  # nobody runs an image that failed its checks
                self.forget_image(image_id)
            raise

    def build(self, context, tag, *, sandbox, labels):
        """Build the Docker context folder ``context`` as ``tag``: no network, pulling nothing,
        the sandbox's memory and CPU limits on each step and its time limit on the whole build
        (the engine stops a build whose client leaves). The image ID; BuildFailed says why not."""
        deadline = time.monotonic() + sandbox.time_limit_s
        lines, image_id, stream = [], None, None
        try:
            stream = self.client.api.build(
                path=str(context), tag=tag, rm=True, forcerm=True, pull=False, network_mode="none", decode=True,
                container_limits=build_limits(sandbox, int(self.client.info().get("NCPU") or 1)),
                labels={INSTANCE_LABEL: self.instance, **labels}, timeout=sandbox.time_limit_s,
            )  # fmt: skip
            for chunk in stream:
                if "error" in chunk:
                    raise BuildFailed(f"docker build failed: {chunk['error'].strip()}\n{_tail_text(lines)}")
                lines.extend(line for line in str(chunk.get("stream", "")).splitlines() if line.strip())
                image_id = (chunk.get("aux") or {}).get("ID", image_id)
                if time.monotonic() > deadline:
                    break
        except (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError):
            pass  # nothing came for as long as the time limit: it is over
        except (DockerException, requests.exceptions.RequestException) as error:
            raise BuildFailed(f"the Docker engine could not build it: {error}") from None
        finally:
            if stream is not None:
                stream.close()
        if time.monotonic() > deadline:
            raise BuildFailed(
                f"the build was stopped at its time limit of {sandbox.time_limit_s:g} s\n{_tail_text(lines)}"
            )
        if image_id is None:
            raise BuildFailed(f"docker build ended without an image\n{_tail_text(lines)}")
        return image_id

    def run(self, spec, *, cancelled=lambda: False, heartbeat=lambda: None, heartbeat_s=2.0):
        """Run ``spec`` to its end and remove the container (with any anonymous volume).

        The image runs by its ID as the numeric user of :meth:`check_image` (ImageRefused if it
        may not run at all). While it runs, ``cancelled()`` is asked every ``poll_s`` (True kills
        the container) and ``heartbeat()`` is called every ``heartbeat_s``; the wall-clock and
        output limits are enforced here. Calls go to the engine's API by container id: one
        request each."""
        api = self.client.api
        arguments = sandbox_arguments(spec, self.check_image(spec.image))
        container = {key: arguments.pop(key) for key in CONTAINER_KEYS if key in arguments}
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
            outcome.stdout_tail, outcome.stderr_tail = self._tails(container_id)
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

    def _tails(self, container_id):
        """The last LOG_TAIL_LINES lines of the container's stdout and of its stderr. The whole
        (size-capped) log is read: the engine's own ``tail`` counts both streams together, in the
        order it copied the two pipes, so under load a last line of stderr could fall behind
        lines of stdout written before it. One request; docker-py's ``logs`` would ask the engine
        twice, once for the container's TTY setting (never set here)."""
        api = self.client.api
        url = f"{api.base_url}/v{api.api_version}/containers/{container_id}/logs"
        response = api.get(url, params={"stdout": 1, "stderr": 1})
        try:
            response.raise_for_status()
        except requests.exceptions.HTTPError as error:
            raise create_api_error_from_http_exception(error) from None
        stdout, stderr = (_last_lines(s.decode("utf-8", errors="replace")) for s in demultiplexed(response.content))
        return stdout, stderr

    def _remove_container(self, container_id):
        try:
            self.client.api.remove_container(container_id, force=True, v=True)
        except NotFound:
            pass
        except APIError as error:  # removal already in progress, say
            log.warning("could not remove container %s: %s", container_id, error)

    def remove(self, name):
        """Remove the container called ``name`` if there is one (killing it if it runs)."""
        with contextlib.suppress(NotFound):
            self._remove_container(self.client.containers.get(name).id)

    def remove_instance_containers(self):
        """Remove every container of this instance, running or not (what ``gc-hub down`` leaves
        behind); their names."""
        containers = self.client.containers.list(all=True, filters={"label": f"{INSTANCE_LABEL}={self.instance}"})
        for container in containers:
            container.remove(force=True)
        return [container.name for container in containers]

    def remove_instance_services(self):
        """Remove every swarm service of this instance (users' servers on a cluster); their names."""
        services = self.client.services.list(filters={"label": f"{INSTANCE_LABEL}={self.instance}"})
        for service in services:
            service.remove()
        return [str(service.name) for service in services]

    def run_containers(self):
        """``{container ID: run label}`` of this instance's job and evaluation containers on this engine."""
        filters = {"label": [f"{INSTANCE_LABEL}={self.instance}", RUN_LABEL]}
        containers = self.client.api.containers(all=True, filters=filters)
        return {str(c["Id"]): str(c["Labels"][RUN_LABEL]) for c in containers}

    def remove_container(self, container_id):
        """Remove a container (killing it if it runs); one that is gone already is no error."""
        self._remove_container(container_id)

    def remove_labelled(self, run_label):
        """Remove every container of this instance with ``org.gc-hub.run=<run_label>``."""
        filters = {"label": [f"{INSTANCE_LABEL}={self.instance}", f"{RUN_LABEL}={run_label}"]}
        for container in self.client.containers.list(all=True, filters=filters):
            self._remove_container(container.id)


def _tail_text(lines, characters=2000):
    return "\n".join(lines)[-characters:]
