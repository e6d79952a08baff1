"""A real cluster on one machine for the cluster tests: two more Docker engines, each in a network
namespace of its own, in a swarm whose manager is the host's engine; a registry, PostgreSQL and a
Redis with a password, all reachable from the namespaces.

Privileged Docker-in-Docker cannot run here, so each node is a ``dockerd`` started with
``nsenter --net`` (its own addresses, iptables and bridge; the host's filesystem) behind a veth
pair: the host end is ``10.213.<n>.1``, the node's ``10.213.<n>.2``. The host engine is the swarm
manager, advertised at node 1's host end, which every namespace reaches through its default route.
Only things made here are removed afterwards, in reverse order and even when a step fails: the
host engine keeps its containers, images and networks (it only leaves the swarm it joined here).
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis
from postgres import running_postgres

PREFIX = "gcc15"  # names of the namespaces and links this harness makes (links: 15 characters at most)
NODE_LABEL = "org.gc-hub.node"


class ClusterError(RuntimeError):
    """A step of making the cluster failed; the message says which and why."""


def sh(*command, env=None, timeout=120, check=True, input=None):
    """Run ``command``; its stdout (text). ClusterError with its output when it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        input=input,
    )
    if check and result.returncode:
        shown = " ".join(map(str, command))
        raise ClusterError(f"`{shown}` failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result.stdout


def free_port(address="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def wait_until(check, what, timeout=60, every=0.2):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ClusterError(f"{what} did not happen within {timeout} s")
        time.sleep(every)


@dataclass
class Node:
    """One namespaced Docker engine of the cluster."""

    name: str  # node1, node2: also its swarm label org.gc-hub.node
    index: int
    folder: Path

    @property
    def netns(self):
        return f"{PREFIX}-{self.name}"

    @property
    def host_link(self):
        return f"{PREFIX}h{self.index}"

    @property
    def node_link(self):
        return f"{PREFIX}n{self.index}"

    @property
    def host_address(self):
        return f"10.213.{self.index}.1"

    @property
    def address(self):
        return f"10.213.{self.index}.2"

    @property
    def socket(self):
        return self.folder / "docker.sock"

    @property
    def docker_host(self):
        return f"unix://{self.socket}"

    @property
    def pidfile(self):
        return self.folder / "docker.pid"

    def docker(self, *args, **kwargs):
        return sh("docker", *args, env={"DOCKER_HOST": self.docker_host}, **kwargs)

    def in_namespace(self, command):
        """``command`` run in this node's network namespace (the host's filesystem and processes)."""
        return ["nsenter", f"--net=/var/run/netns/{self.netns}", *command]

    registry: str = ""
    process: object = None

    def start_engine(self):
        """Start this node's dockerd in its namespace (again, after :meth:`stop_engine`: it finds
        its swarm, images and containers in its data folder)."""
        command = self.in_namespace([
            "dockerd", "--data-root", self.folder / "data", "--exec-root", self.folder / "exec",
            "-H", self.docker_host, "--pidfile", self.pidfile,
            "--containerd-namespace", self.netns, "--containerd-plugins-namespace", f"{self.netns}p",
            "--insecure-registry", self.registry, "--userland-proxy=false",
        ])  # fmt: skip
        with open(self.folder / "dockerd.log", "ab") as log:  # dockerd keeps its own copy of the descriptor
            self.process = subprocess.Popen([str(p) for p in command], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        wait_until(lambda: self.docker("info", "--format", "{{.ID}}", check=False, timeout=10).strip(),
                   f"{self.name}'s dockerd answering (log: {self.folder / 'dockerd.log'})")  # fmt: skip

    def stop_engine(self):
        """Stop this node's dockerd (by its pidfile), which stops its containers."""
        pid = self.pid() or (self.process.pid if self.process and self.process.poll() is None else None)
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not Path(f"/proc/{pid}").exists() or self.process.poll() is not None,
                       f"{self.name}'s dockerd stopping", timeout=60)  # fmt: skip
        if self.process:
            self.process.wait()

    def pid(self):
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None


@dataclass
class Cluster:
    """What a test needs to reach the cluster; made by :func:`running_cluster`."""

    folder: Path
    nodes: list
    manager_address: str
    registry: str  # host:port of the registry, as every node reaches it
    database_url: str
    redis_url: str
    swarm_node_ids: dict = field(default_factory=dict)  # node name -> swarm node ID
    published: dict = field(default_factory=dict)  # platform image name -> repo@digest in the registry

    def node(self, name):
        return next(node for node in self.nodes if node.name == name)

    def publish_image(self, name, via="node1"):
        """Put the host engine's image ``name`` into the registry (saved from the host, loaded on
        node ``via``, pushed from there: the host engine is not told to trust this registry); its
        ``repo@digest``."""
        if name in self.published:
            return self.published[name]
        node = self.node(via)
        save = subprocess.Popen(["docker", "save", name], stdout=subprocess.PIPE)
        try:
            loaded = subprocess.run(
                ["docker", "load", "-q"], stdin=save.stdout, capture_output=True, text=True, timeout=600,
                env={**os.environ, "DOCKER_HOST": node.docker_host},
            )  # fmt: skip
        finally:
            save.stdout.close()
            save.wait()
        if save.returncode or loaded.returncode:
            raise ClusterError(f"copying {name} to {via} failed: {loaded.stderr}")
        repo = f"{self.registry}/{name.rsplit(':', 1)[0] if ':' in name.rsplit('/', 1)[-1] else name}"
        node.docker("tag", name, f"{repo}:latest")
        node.docker("push", "-q", f"{repo}:latest", timeout=600)
        digest = json.loads(node.docker("image", "inspect", "--format", "{{json .RepoDigests}}", f"{repo}:latest"))
        pinned = next(d for d in digest if d.startswith(repo + "@"))
        self.published[name] = pinned
        return pinned

    def set_availability(self, name, availability):
        """``active``, ``pause`` or ``drain`` the swarm node ``name``."""
        sh("docker", "node", "update", "--availability", availability, self.swarm_node_ids[name])


def _remove_leftovers():
    """Remove namespaces and links of an earlier run of this harness that died before its teardown."""
    for line in sh("ip", "-o", "link", "show", check=False).splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(f"{PREFIX}h"):
            sh("ip", "link", "del", name, check=False)
    for line in sh("ip", "netns", "list", check=False).splitlines():
        name = line.split()[0]
        if name.startswith(f"{PREFIX}-"):
            sh("ip", "netns", "del", name, check=False)


def _network(stack, node):
    sh("ip", "netns", "add", node.netns)
    stack.callback(sh, "ip", "netns", "del", node.netns, check=False)
    sh("ip", "link", "add", node.host_link, "type", "veth", "peer", "name", node.node_link)
    stack.callback(sh, "ip", "link", "del", node.host_link, check=False)
    sh("ip", "link", "set", node.node_link, "netns", node.netns)
    sh("ip", "addr", "add", f"{node.host_address}/24", "dev", node.host_link)
    sh("ip", "link", "set", node.host_link, "up")
    inside = ["ip", "netns", "exec", node.netns]
    sh(*inside, "ip", "link", "set", "lo", "up")
    sh(*inside, "ip", "addr", "add", f"{node.address}/24", "dev", node.node_link)
    sh(*inside, "ip", "link", "set", node.node_link, "up")
    sh(*inside, "ip", "route", "add", "default", "via", node.host_address)


def _engine(stack, node, registry):
    """Start the node's dockerd in its namespace; stopped by its pidfile at teardown."""
    node.folder.mkdir(parents=True)
    node.registry = registry
    stack.callback(node.stop_engine)
    node.start_engine()


def _unmount_under(folder):
    """Unmount whatever a killed engine left mounted under ``folder`` (deepest first)."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{folder}/")), key=len, reverse=True):
        sh("umount", "-l", mount, check=False)


def _registry(stack, folder, address):
    """Debian's docker-registry on ``address`` (a free port), storing in ``folder``; host:port."""
    port = free_port(address)
    config = folder / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {folder / 'registry'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '{address}:{port}'}}\n"
    )
    log = open(folder / "registry.log", "ab")  # noqa: SIM115 (the registry writes to it until teardown)
    stack.callback(log.close)
    process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    stack.callback(_terminate, process)
    url = f"http://{address}:{port}/v2/"
    wait_until(lambda: urllib.request.urlopen(url, timeout=2).status == 200, f"the registry answering at {url}")
    return f"{address}:{port}"


def _redis(stack, folder, address, password):
    port = free_port(address)
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", f"127.0.0.1 {address}", "--requirepass", password,
         "--save", "", "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    stack.callback(_terminate, process)
    url = f"redis://:{password}@{address}:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=2)
    wait_until(lambda: _answers(client), "Redis answering")
    client.close()
    return url


def _answers(client):
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


def _terminate(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _check_no_swarm():
    """Refuse to start when the host engine is in a swarm already (another cluster test session's,
    or a real one): nothing of it is touched."""
    state = sh("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").strip()
    if state != "inactive":
        raise ClusterError(
            f"the host's Docker engine is already in a swarm ({state}); the cluster tests make their own "
            "and will not touch another: run them on a machine whose engine is in none, one session at a time"
        )


def _swarm(stack, nodes, manager_address):
    """The host engine as manager, each node joined and labelled; node name -> swarm node ID."""
    if not sh("docker", "network", "ls", "-q", "--filter", "name=^docker_gwbridge$").strip():
        stack.callback(sh, "docker", "network", "rm", "docker_gwbridge", check=False)  # made by joining
    sh("docker", "swarm", "init", "--advertise-addr", manager_address, "--listen-addr", f"{manager_address}:2377",
       "--default-addr-pool", "10.214.0.0/16")  # fmt: skip
    stack.callback(sh, "docker", "swarm", "leave", "--force", check=False)
    token = sh("docker", "swarm", "join-token", "-q", "worker").strip()
    ids = {}
    for node in nodes:
        node.docker("swarm", "join", "--token", token, "--advertise-addr", node.address,
                    "--listen-addr", f"{node.address}:2377", f"{manager_address}:2377")  # fmt: skip
        stack.callback(node.docker, "swarm", "leave", "--force", check=False, timeout=60)
        ids[node.name] = node.docker("info", "--format", "{{.Swarm.NodeID}}").strip()
        sh("docker", "node", "update", "--label-add", f"{NODE_LABEL}={node.name}", ids[node.name])
    wait_until(
        lambda: all(
            sh("docker", "node", "inspect", "--format", "{{.Status.State}}", i).strip() == "ready" for i in ids.values()
        ),
        "every node ready in the swarm",
    )
    return ids


@contextlib.contextmanager
def running_cluster(node_names=("node1", "node2")):
    """Make the cluster, yield a :class:`Cluster`, and take it all down again."""
    if os.geteuid() != 0:
        raise ClusterError("the cluster tests make network namespaces and Docker engines: run them as root")
    for tool, package in (("ip", "iproute2"), ("nsenter", "util-linux"), ("docker-registry", "docker-registry")):
        if not shutil.which(tool):
            raise ClusterError(f"{tool} is missing: apt-get install {package}")
    _check_no_swarm()
    _remove_leftovers()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-", dir="/tmp"))  # short: unix socket paths are limited
    password = secrets.token_hex(16)
    nodes = [Node(name, index, folder / name) for index, name in enumerate(node_names, start=1)]
    manager = nodes[0].host_address
    with contextlib.ExitStack() as stack:
        stack.callback(sh, "rm", "-rf", "--one-file-system", folder, check=False, timeout=900)  # faster than rmtree
        stack.callback(_unmount_under, folder)
        for node in nodes:
            _network(stack, node)
        registry = _registry(stack, folder, manager)
        for node in nodes:
            _engine(stack, node, registry)
        ids = _swarm(stack, nodes, manager)
        database_url = stack.enter_context(
            running_postgres(address=manager, network="10.213.0.0/16", password=password)
        )
        redis_url = _redis(stack, folder, manager, password)
        yield Cluster(folder, nodes, manager, registry, database_url, redis_url, ids)
