"""Running a real gc-hub for the tests and talking to it as its users do; every response of its
services that a test receives through ``requests`` is checked against the service's OpenAPI
document (api_responses.py)."""

import json
import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import docker
import requests
from api_responses import ResponseChecker
from traitlets.config import Config

from hub_config.settings import GcHub
from services.launcher import start_hub, stop_hub, wait_until_ready

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("archives", "challenges", "leaderboard")


def free_port_block(size=6, start=20000, stop=40000):
    """A base port P in [start, stop) such that P..P+size-1 are all free on this machine; each
    process starts looking at a place of its own in the range and wraps around."""
    bases = range(start, stop - size + 1, size)
    first = os.getpid() * 7 % len(bases)
    for base in (*bases[first:], *bases[:first]):
        sockets = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.bind(("0.0.0.0", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free block of ports")


@dataclass
class RunningHub:
    """A hub started for a test, with what a test needs to reach it."""

    settings: GcHub
    env: dict
    process: object = None
    passwords: dict = field(default_factory=dict)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.settings.port}"

    def login(self, username):
        """A browser-like session of ``username``, logged in through the hub's login form."""
        password = self.passwords["admin_password" if username == "admin" else "user_password"]
        return HubSession.login(self.url, username, password)


def hub_environment(data_dir, instance):
    port = free_port_block()
    return {
        "GC_DATA_DIR": str(data_dir),
        "GC_PORT": str(port),
        "GC_INSTANCE": instance,
        "GC_IDLE_TIMEOUT": "3600",
    }


@contextmanager
def sigterm_as_exit():
    """While this lasts, SIGTERM ends this process as Ctrl-C does, through its ``finally`` blocks
    (SystemExit), so that what it started is stopped with it: a hub runs in a session of its own
    and would outlive a benchmark or test process stopped with ``kill``. Only the main thread can
    set a handler, and one set by someone else (pytest-xdist, say) is left as it is."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def leave(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def running_hub(data_dir, instance, extra_env=None):
    """Start a hub from jupyterhub_config.py with its own data dir, ports and containers; it is
    stopped when this ends, and when this process gets SIGTERM."""
    env = {**hub_environment(data_dir, instance), **(extra_env or {})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = GcHub.load(Config())
        log_file = Path(data_dir) / "hub.log"
        with sigterm_as_exit():
            process = start_hub(settings, config_file=REPO / "jupyterhub_config.py", log_file=log_file)
            hub = RunningHub(settings=settings, env=env, process=process)
            try:
                wait_until_ready(settings, process, timeout=240, log_file=log_file)  # a loaded machine is slow
                hub.passwords = json.loads((Path(data_dir) / "secrets.json").read_text())
                wait_for_services(hub)
                with responses_checked(hub):
                    yield hub
            finally:
                stop_hub(settings)
                process.wait(timeout=30)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def remove_home_volumes(instance):
    """Remove the home volumes that an instance's user servers left (they outlive containers)."""
    for volume in docker.from_env().volumes.list():
        if volume.name.startswith(f"{instance}-home-"):
            volume.remove(force=True)


def wait_for_services(hub, timeout=30):
    """The web services are started by the hub but may take a moment to listen."""
    deadline = time.monotonic() + timeout
    for name in SERVICES:
        while True:
            try:
                r = requests.get(f"{hub.url}/services/{name}/api/v1/me", timeout=2)
                if r.status_code == 403:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"service {name} did not come up")
            time.sleep(0.2)


@contextmanager
def responses_checked(hub):
    """While this lasts, each response of the hub's services that ``requests`` receives (every
    session's, module-level calls included) is checked against its service's OpenAPI document;
    AssertionError from the call for one that does not fit."""
    checkers = {
        name: ResponseChecker(requests.get(f"{hub.url}/services/{name}/api/v1/openapi.json", timeout=10).json())
        for name in SERVICES
    }

    # This hub's proxy and its services' own ports: not another hub's, nor a unit test's fake server.
    ours = {urlparse(hub.url).netloc} | {f"127.0.0.1:{hub.settings.service_port(i)}" for i in range(len(SERVICES))}

    def check(response, *args, **kwargs):
        url = urlparse(response.url)
        name = url.path.split("/")[2] if url.path.startswith("/services/") else None
        if name in checkers and url.netloc in ours:
            media = response.headers.get("Content-Type", "")
            body = response.content if media.startswith("application/json") or response.status_code == 204 else b""
            checkers[name].check(response.request.method, url.path, response.status_code, media, body)

    default_hooks = requests.sessions.default_hooks
    requests.sessions.default_hooks = lambda: {**default_hooks(), "response": [check]}
    try:
        yield
    finally:
        requests.sessions.default_hooks = default_hooks


class HubSession(requests.Session):
    """A logged-in user: cookies for pages, XSRF header for the hub's API, tokens on demand."""

    def __init__(self, base_url, username):
        super().__init__()
        self.base_url = base_url
        self.username = username

    @classmethod
    def login(cls, base_url, username, password):
        session = cls(base_url, username)
        session.get(f"{base_url}/hub/login").raise_for_status()
        r = session.post(
            f"{base_url}/hub/login",
            data={"username": username, "password": password, "_xsrf": session.cookies.get("_xsrf")},
        )
        r.raise_for_status()
        if "/hub/login" in r.url:
            raise AssertionError(f"login of {username} failed")
        return session

    def api(self, method, path, **kwargs):
        """Call the hub's REST API as this user (cookie + XSRF header)."""
        headers = {"X-XSRFToken": self.cookies.get("_xsrf", path="/hub/") or self.cookies.get("_xsrf")}
        return self.request(method, f"{self.base_url}/hub/api{path}", headers=headers, **kwargs)

    def new_token(self, **body):
        r = self.api("POST", f"/users/{self.username}/tokens", json={"note": "test", **body})
        r.raise_for_status()
        return r.json()["token"]

    def start_server(self, **user_options):
        return self.api("POST", f"/users/{self.username}/server", json=user_options)

    def wait_ready(self, timeout=120):
        """Wait until the default server is ready; return the user's model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{self.username}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return model
            if not server or not server.get("pending"):
                raise AssertionError(f"server of {self.username} is neither ready nor pending: {model}")
            time.sleep(0.1)
        raise AssertionError(f"server of {self.username} not ready within {timeout} s")

    def stop_server(self, timeout=60):
        self.api("DELETE", f"/users/{self.username}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{self.username}").json()
            if "" not in model.get("servers", {}):
                return
            time.sleep(0.2)
        raise AssertionError(f"server of {self.username} did not stop")
