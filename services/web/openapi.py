"""Each service's OpenAPI document, made from its routes and its handlers' docstrings.

A route's regex groups become path parameters (``(?P<slug>[a-z0-9-]+)`` → ``{slug}``); each HTTP
method a handler defines becomes an operation, summarised by the method's docstring or by the
handler's ``"GET: … POST …: …"`` docstring. Every error is the same JSON shape.
"""

import inspect
import re

from tornado import web

from .base import APIHandler

METHODS = ("get", "post", "patch", "put", "delete")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
# "GET: the list. POST {slug}: create." → {"get": "the list.", "post": "{slug}: create."}
SEGMENT = re.compile(r"\b(GET|POST|PATCH|PUT|DELETE)\b(.*?)(?=\s\b(?:GET|POST|PATCH|PUT|DELETE)\b|$)", re.S)


def _summaries(handler):
    text = " ".join((inspect.getdoc(handler) or "").split())
    return {m.lower(): (rest.strip(" :") or m) for m, rest in SEGMENT.findall(text)}


ERROR = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "message": {"type": "string", "description": "What was wrong and what to do."},
    },
}


def _operation(handler, method, parameters):
    function = getattr(handler, method)
    summary = inspect.getdoc(function) or _summaries(handler).get(method) or method.upper()
    operation = {
        "summary": summary.splitlines()[0],
        "description": summary,
        "operationId": f"{handler.__name__}.{method}",
        "parameters": parameters,
        "responses": {
            "200" if method == "get" else "2XX": {"description": "Success", "content": {"application/json": {}}},
            "default": {
                "description": "An error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    if method in ("post", "patch", "put"):
        operation["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return operation


def document(name, routes, prefix):
    """The OpenAPI 3.1 document of service ``name`` for its ``(pattern, handler)`` routes."""
    paths = {}
    for pattern, handler in routes:
        if not (isinstance(handler, type) and issubclass(handler, APIHandler)):
            continue
        names = GROUP.findall(pattern)
        path = GROUP.sub(lambda m: "{" + m["name"] + "}", pattern).removeprefix(prefix.rstrip("/"))
        parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        own = [m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m)]
        paths[path] = {m: _operation(handler, m, parameters) for m in own}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"gc-hub {name}", "version": "1"},
        "servers": [{"url": prefix.rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"hubToken": []}],
    }


class OpenAPIHandler(APIHandler):
    """GET: this service's OpenAPI document (public, so that clients can be generated)."""

    def get(self):
        self.write_json(self.settings["openapi"])
