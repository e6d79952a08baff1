"""Health and identity endpoints of every service."""

import asyncio
import os

from tornado import web
from tornado.escape import xhtml_escape

from ..api.health import Health, Me
from ..core.database import ping
from .base import APIHandler, ServiceHandler, endpoint


def _check(probe):
    try:
        return "ok", probe()
    except Exception as e:  # noqa: BLE001 (a health check reports every failure instead of raising it)
        return f"error: {e}", None


class HealthHandler(APIHandler):
    """GET api/v1/health: whether the database, Redis and the workers answer."""

    @endpoint(returns={200: Health, 503: Health})
    @web.authenticated
    async def get(self):
        platform = self.platform
        database, _ = await asyncio.to_thread(_check, lambda: ping(platform["engine"]))
        redis, workers = await asyncio.to_thread(_check, platform["queue"].workers_by_queue)
        ok = database == "ok" and redis == "ok"
        health = Health(
            status="ok" if ok else "degraded",
            service=platform["name"],
            database=database,
            redis=redis,
            workers=workers or {},
            process=os.getpid(),
        )
        self.write_model(health, 200 if ok else 503)


class MeHandler(APIHandler):
    """GET api/v1/me: who the hub says is asking."""

    @endpoint(returns=Me)
    @web.authenticated
    def get(self):
        self.write_model(Me.of(self.user))


class HomeHandler(ServiceHandler):
    """The service's page in the browser (sign-in goes through the hub)."""

    @web.authenticated
    def get(self):
        me = Me.of(self.user)
        name = self.platform["name"]
        groups = ", ".join(me.groups) or "no group"
        scopes = "".join(f"<li><code>{xhtml_escape(s)}</code></li>" for s in me.scopes)
        self.finish(
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>gc-hub · {name}</title></head><body>"
            f"<h1>gc-hub {name}</h1>"
            f"<p>Signed in as <strong>{xhtml_escape(me.name)}</strong> ({xhtml_escape(groups)}).</p>"
            f"<p>What you may do here:</p><ul>{scopes or '<li>read what is shared with you</li>'}</ul>"
            f"<p><a href='api/v1/health'>Service health</a> · <a href='/hub/home'>Back to the hub</a></p>"
            "</body></html>"
        )


def routes(prefix):
    return [
        (prefix + "api/v1/health", HealthHandler),
        (prefix + "api/v1/me", MeHandler),
        (prefix, HomeHandler),
    ]
