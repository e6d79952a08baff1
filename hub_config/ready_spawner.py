"""A DockerSpawner that returns only once the user's server answers, or says why it died.

The hub waits for a new server with an exponential backoff (0.2 s, 0.4 s, 0.8 s, 1.6 s, …), so
a server that is up after 2.1 s is noticed at about 3 s. Polling every 50 ms from ``start``
hands the server over as soon as it answers. A container that exits while starting is reported
with the last lines of its log, read before DockerSpawner removes the container.
"""

import asyncio
import time

from dockerspawner import DockerSpawner
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets import Float, Integer


class ReadyDockerSpawner(DockerSpawner):
    """DockerSpawner whose ``start`` waits until the server's API answers."""

    ready_poll_interval = Float(
        0.05,
        config=True,
        help="Seconds between checks that a starting server answers HTTP.",
    )

    failed_log_lines = Integer(
        20,
        config=True,
        help="Lines of a failed container's log shown to the user and written to the hub's log.",
    )

    async def start(self):
        ip, port = await super().start()
        url = f"http://{ip}:{port}" + url_path_join(self.server.base_url, "api")
        client = AsyncHTTPClient()
        deadline = time.monotonic() + self.http_timeout
        next_state_check = 0.0
        while time.monotonic() < deadline:
            try:
                await client.fetch(url, request_timeout=2, follow_redirects=False)
                break
            except HTTPClientError as e:
                if e.code < 500:  # any answer that is not a server error means it is up
                    break
            except OSError:
                pass
            if time.monotonic() > next_state_check:
                await self._raise_if_exited()
                next_state_check = time.monotonic() + 0.5
            await asyncio.sleep(self.ready_poll_interval)
        return ip, port

    async def _raise_if_exited(self):
        state = (await self.get_object() or {}).get("State", {})
        if state.get("Status") not in ("exited", "dead"):
            return
        logs = await self.docker("logs", self.container_id, tail=self.failed_log_lines)
        tail = logs.decode(errors="replace").strip() if isinstance(logs, bytes) else str(logs)
        self.log.error("Server of %s exited with code %s:\n%s", self.user.name, state.get("ExitCode"), tail)
        last = tail.splitlines()[-1] if tail else "no output"
        raise web.HTTPError(500, f"Your server stopped while starting (exit code {state.get('ExitCode')}): {last}")
