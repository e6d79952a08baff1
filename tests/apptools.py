"""A service's tornado app in-process, for narrow API tests without the hub.

Only authentication and Redis are faked: the user model comes from a test header instead of the
hub, and the task queue keeps what it is given instead of handing it to Redis. The database,
migrations, handlers and errors are the real ones.
"""

import json
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import urlparse

from api_responses import ResponseChecker
from redis.exceptions import ConnectionError as RedisConnectionError
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.testing import AsyncHTTPTestCase

from services.core.migrations import upgrade
from services.core.settings import ServiceSettings
from services.queue import QueueName, TaskQueue
from services.web.app import make_app
from services.web.base import ServiceHandler
from services.web.hub_login import SharedHubOAuth

RESEARCHER_SCOPES = ["custom:archives:create", "custom:challenges:create", "custom:algorithms:create"]
USERS = {
    "researcher": {"groups": ["researchers"], "scopes": RESEARCHER_SCOPES},
    "researcher2": {"groups": ["researchers"], "scopes": RESEARCHER_SCOPES},
    "datascientist": {
        "groups": ["data-scientists"],
        "scopes": ["custom:algorithms:create", "custom:challenges:participate"],
    },
    "clinician": {"groups": ["clinicians"], "scopes": ["custom:reader-studies:read"]},
    "admin": {"groups": [], "scopes": [], "admin": True},
}


def user_from_header(handler):
    name = handler.request.headers.get("X-Test-User")
    if name is None:
        return None
    return {"name": name, "kind": "user", "admin": False, **USERS[name]}


class Queued(NamedTuple):
    """One piece of work handed to the queue: ``task(**arguments)`` on ``queue`` with RQ's ``options``."""

    queue: str
    task: str
    arguments: dict
    options: dict


class KeptQueue(TaskQueue):
    """The platform's TaskQueue with no Redis behind it: what it would queue is kept in ``queued``;
    with ``reachable`` false, every enqueue fails as when Redis is down."""

    def __init__(self):
        super().__init__(connection=None)
        self.queued = []
        self.reachable = True

    def push(self, queue_name, task, arguments, options):
        if not self.reachable:
            raise RedisConnectionError("Redis is down (the test says so)")
        self.queued.append(Queued(QueueName(queue_name), task, arguments, options))

    def holds_job(self, job_id):
        return any(work.options.get("job_id") == job_id for work in self.queued)

    def arguments(self, task):
        """The arguments of each ``task`` queued so far, in order."""
        return [work.arguments for work in self.queued if work.task == task]

    def workers_by_queue(self):
        return {name.value: 0 for name in QueueName}


async def no_hub_user(hub_auth, handler, sync=False):
    """What ServiceHandler.prepare asks the hub for: nothing here, the header says who asks."""


@contextmanager
def fake_hub_auth(monkeypatch):
    monkeypatch.setattr(ServiceHandler, "get_current_user", user_from_header)
    monkeypatch.setattr(SharedHubOAuth, "get_user", no_hub_user)
    yield


class ServiceApp(AsyncHTTPTestCase):
    """Runs one service app on a loopback port; ``call`` sends a request as a named user;
    ``queue`` (a KeptQueue) holds the work its handlers queued."""

    def __init__(self, name, database_url):
        self.name, self.database_url = name, database_url
        self.queue = KeptQueue()
        super().__init__(methodName="run")

    def runTest(self):  # unittest needs a test method; this object is used as a fixture only
        pass

    def get_app(self):
        upgrade(self.database_url)
        settings = ServiceSettings(database_url=self.database_url)
        app = make_app(self.name, settings, f"/services/{self.name}/", queue=self.queue)
        self.responses = ResponseChecker(app.settings["openapi"])
        return app

    def get(self, path, user, headers=None):
        """The whole response (status, headers, bytes) to a GET of ``/services/<name>/<path>`` as ``user``."""
        request_url = self.get_url(f"/services/{self.name}/{path}")
        try:
            return self.io_loop.run_sync(
                lambda: self.http_client.fetch(request_url, headers={"X-Test-User": user, **(headers or {})})
            )
        except HTTPClientError as e:
            return e.response

    def call(self, method, path, user=None, body=None, raw=None, headers=None):
        """``(status, json)`` of a request to ``/services/<name>/api/v1/<path>`` as ``user``,
        with any extra ``headers``."""
        headers = {**({"X-Test-User": user} if user else {}), **(headers or {})}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if method != "GET":
            headers["Authorization"] = "token test"  # token requests skip the XSRF check
        request = HTTPRequest(
            self.get_url(f"/services/{self.name}/api/v1/{path}"),
            method=method,
            headers=headers,
            body=data if data is not None else (b"" if method in ("POST", "PATCH", "PUT") else None),
            allow_nonstandard_methods=True,
        )
        try:
            response = self.io_loop.run_sync(lambda: self.http_client.fetch(request))
        except HTTPClientError as e:
            response = e.response
        self.responses.check(
            method, urlparse(request.url).path, response.code, response.headers.get("Content-Type"), response.body
        )
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text else None)


@contextmanager
def service_app(name, database_url):
    app = ServiceApp(name, database_url)
    app.setUp()
    try:
        yield app
    finally:
        app.tearDown()
