"""Users' servers as services of a Docker Swarm (GC_SPAWNER=swarm), on whichever node has room.

Each server is a one-task service whose port is published in host mode (no routing mesh: it needs
IPVS, which not every kernel has), so the hub reaches it at its node's address and the port that
node gave it. Images come from the cluster's registry; homes are folders on shared storage, bound
into the server wherever it runs. A task that fails (an image that cannot be pulled, a server that
exits) is reported with the task's error and the last lines of its log, and is not restarted.
"""

import asyncio
import os
import time
from pathlib import Path

from docker.types import RestartPolicy
from dockerspawner import SwarmSpawner
from tornado import web
from traitlets import Float, Integer, Unicode

WAITING = {"new", "pending", "assigned", "accepted", "preparing", "ready", "starting"}
HOME_OWNER = (1000, 100)  # jovyan:users in the platform's images


class ClusterSpawner(SwarmSpawner):
    """SwarmSpawner with host-mode ports, registry images, shared homes and failures explained."""

    registry = Unicode(
        "",
        config=True,
        help="Registry (host:port) the nodes pull the platform's images from; prefixed to the image's name.",
    )

    homes_dir = Unicode(
        "",
        config=True,
        help="Folder on storage that every node mounts at the same path; each user's home is a folder in it.",
    )

    task_poll_interval = Float(0.25, config=True, help="Seconds between checks of a starting server's task.")

    failed_log_lines = Integer(20, config=True, help="Lines of a failed server's log shown to the user.")

    def registry_image(self, image):
        """``image`` as the nodes pull it: from the registry, unless it names a registry already."""
        first = image.split("/", 1)[0]
        if not self.registry or "/" not in image or "." in first or ":" in first or first == "localhost":
            return image
        return f"{self.registry}/{image}"

    def home_folder(self):
        return Path(self.homes_dir, self.escaped_name)

    async def create_object(self):
        if self.homes_dir:
            home = self.home_folder()
            home.mkdir(parents=True, exist_ok=True)
            os.chown(home, *HOME_OWNER)
            self.volumes = {str(home): self.notebook_dir or "/home/jovyan"}
        self.image = self.registry_image(self.image)
        self.extra_endpoint_spec = {"ports": {None: (self.port, "tcp", "host")}}
        self.extra_task_spec = {**self.extra_task_spec, "restart_policy": RestartPolicy(condition="none")}
        return await super().create_object()

    async def start_object(self):
        """Wait until the service's task runs; raise with the task's error and log if it ended."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            task = await self.get_task()
            if task is None:
                raise web.HTTPError(500, "Your server's service disappeared while starting; try again.")
            state = task["Status"]["State"].lower()
            if state == "running":
                return
            if state not in WAITING:
                await self._raise_failed(task)
            await asyncio.sleep(self.task_poll_interval)
        raise web.HTTPError(500, f"Your server was not running after {self.start_timeout} s; try again later.")

    async def _raise_failed(self, task):
        status = task["Status"]
        reason = status.get("Err") or status.get("Message") or status["State"]
        try:
            logs = await self.docker("service_logs", self.service_id, stdout=True, stderr=True,
                                     tail=self.failed_log_lines)  # fmt: skip
            tail = b"".join(logs).decode(errors="replace").strip()
        except Exception as error:  # noqa: BLE001 (the reason is still reported without the log)
            tail = f"(its log could not be read: {error})"
        self.log.error("Server of %s failed on node %s: %s\n%s", self.user.name, task.get("NodeID"), reason, tail)
        last = tail.splitlines()[-1] if tail else ""
        raise web.HTTPError(500, f"Your server could not start: {reason}" + (f" ({last})" if last else ""))

    async def get_ip_and_port(self):
        """The address of the node that runs the task, and the port that node published."""
        task = await self.get_task()
        ports = ((task or {}).get("Status", {}).get("PortStatus") or {}).get("Ports") or []
        published = [p["PublishedPort"] for p in ports if p.get("TargetPort") == self.port]
        if not published:
            raise web.HTTPError(500, "Your server runs but published no port; ask the hub's admins to check the swarm.")
        node = await self.docker("inspect_node", task["NodeID"])
        return node["Status"]["Addr"], published[0]
