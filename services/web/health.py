"""Health and identity endpoints of every service."""

import asyncio

from tornado import web
from tornado.escape import xhtml_escape

from ..core.database import ping
from .base import APIHandler, ServiceHandler


def user_summary(model):
    """The parts of the hub's user model a client may see of itself."""
    return {
        "name": model["name"],
        "kind": model.get("kind", "user"),
        "admin": bool(model.get("admin")),
        "groups": sorted(model.get("groups") or []),
        "scopes": sorted(s for s in model.get("scopes", []) if s.startswith("custom:")),
    }


def _check(probe):
    try:
        return "ok", probe()
    except Exception as e:  # a health check reports every failure instead of raising it
        return f"error: {e}", None


class HealthHandler(APIHandler):
    """GET api/v1/health: whether the database, Redis and the workers answer."""

    @web.authenticated
    async def get(self):
        platform = self.platform
        database, _ = await asyncio.to_thread(_check, lambda: ping(platform["engine"]))
        redis, workers = await asyncio.to_thread(_check, platform["queue"].workers_by_queue)
        ok = database == "ok" and redis == "ok"
        self.write_json(
            {
                "status": "ok" if ok else "degraded",
                "service": platform["name"],
                "database": database,
                "redis": redis,
                "workers": workers or {},
            },
            status=200 if ok else 503,
        )


class MeHandler(APIHandler):
    """GET api/v1/me: who the hub says is asking."""

    @web.authenticated
    def get(self):
        self.write_json(user_summary(self.user))


class HomeHandler(ServiceHandler):
    """The service's page in the browser (sign-in goes through the hub)."""

    @web.authenticated
    def get(self):
        me = user_summary(self.user)
        name = self.platform["name"]
        groups = ", ".join(me["groups"]) or "no group"
        scopes = "".join(f"<li><code>{xhtml_escape(s)}</code></li>" for s in me["scopes"])
        self.finish(
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>gc-hub · {name}</title></head><body>"
            f"<h1>gc-hub {name}</h1>"
            f"<p>Signed in as <strong>{xhtml_escape(me['name'])}</strong> ({xhtml_escape(groups)}).</p>"
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
