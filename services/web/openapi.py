"""Each service's OpenAPI 3.1 document, made from its routes and what its handler methods declare.

A handler method declares what it takes and answers with ``@endpoint`` (base.py), right above
it: a decorator rather than class attributes, because a handler class has several methods that
take and answer different shapes, and because the declaration is also what the method uses at
run time (``self.body()`` reads the declared request model, ``write_model`` refuses a model it
does not declare, ``page`` builds the declared page), so that the document cannot drift from
what the API does.

A route's regex groups become path parameters (``(?P<slug>[a-z0-9-]+)`` → ``{slug}``); each HTTP
method a handler defines becomes an operation, summarised by the method's docstring or by the
handler's ``"GET: … POST …: …"`` docstring. Request bodies are the request models (in their
validation form), responses the response models (as written), each under its name in
``components/schemas``; every error is the ``Error`` schema.
"""

import inspect
import re
from http import HTTPStatus

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from tornado import web

from ..api.common import Error, Page
from ..api.health import OpenAPIDocument
from .base import PAGE_QUERY, APIHandler, endpoint

METHODS = ("get", "post", "patch", "put", "delete")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
# "GET: the list. POST {slug}: create." → {"get": "the list.", "post": "{slug}: create."}
SEGMENT = re.compile(r"\b(GET|POST|PATCH|PUT|DELETE)\b(.*?)(?=\s\b(?:GET|POST|PATCH|PUT|DELETE)\b|$)", re.S)
REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model="Error")}
FILE_SCHEMAS = {"application/octet-stream": {"type": "string", "format": "binary"}}
# Every GET answers with an ETag, and 304 without a body when If-None-Match names it (base.py).
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the answer the client has: 304 without a body while it is still the answer.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {"description": "Not Modified: the answer is still the one whose ETag was sent in If-None-Match."}


class OpenAPISchema(GenerateJsonSchema):
    """JSON Schemas as OpenAPI takes them: a field that may be left out without a default (``None``
    standing for "not given") shows no default rather than a null that its type refuses."""

    def default_schema(self, schema):
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and not _allows_null(json_schema):
            del json_schema["default"]
        return json_schema


def _allows_null(schema):
    """Whether ``schema`` takes null: its type is (or lists) null, one of its ``anyOf`` does, or it takes anything."""
    kinds = schema.get("type", "null" if not schema.keys() & {"$ref", "anyOf", "enum", "const"} else None)
    return (
        kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or any(map(_allows_null, schema.get("anyOf", ())))
    )


def _summaries(handler):
    text = " ".join((inspect.getdoc(handler) or "").split())
    return {m.lower(): (rest.strip(" :") or m) for m, rest in SEGMENT.findall(text)}


def _is_page(model):
    return isinstance(model, type) and issubclass(model, Page)


class Schemas:
    """The JSON Schemas of a document's models: each operation's own schema refers to the
    models, which are all in ``components/schemas`` (``definitions``) once ``collect`` ran."""

    def __init__(self):
        self.wanted = {}  # (type, mode) → TypeAdapter

    def want(self, kind, mode):
        """A placeholder for ``kind``'s schema, filled in by ``collect``."""
        key = (kind, mode)
        self.wanted.setdefault(key, TypeAdapter(kind))
        return {"__schema__": key}

    def collect(self, document):
        inputs = [(kind, mode, adapter) for (kind, mode), adapter in self.wanted.items()]
        schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF, schema_generator=OpenAPISchema)
        definitions = definitions.get("$defs", {})

        def fill(node):
            if isinstance(node, dict):
                if "__schema__" in node:
                    return schemas[node["__schema__"]]
                return {key: fill(value) for key, value in node.items()}
            if isinstance(node, list):
                return [fill(value) for value in node]
            return node

        return fill(document), definitions


def _content(schemas, kind, media_types, mode):
    """The content of a body of ``kind`` in each of ``media_types``: JSON as ``kind``, files as text
    or bytes (``kind`` None: files only)."""
    return {
        media: {
            "schema": schemas.want(kind, mode)
            if media == "application/json" and kind is not None
            else FILE_SCHEMAS.get(media, {"type": "string"})
        }
        for media in media_types
    }


def _responses(schemas, declared):
    responses = {}
    for status, model in declared.responses.items():
        response = {"description": HTTPStatus(status).phrase}
        media = [] if model is None else ["application/json"]
        if status == 200:
            media += declared.file_types
        if media:
            response["content"] = _content(schemas, model, media, "serialization")
        responses[str(status)] = response
    responses["default"] = {"description": "An error", "content": {"application/json": {"schema": ERROR_REF}}}
    return responses


def _operation(schemas, handler, method, parameters):
    function = getattr(handler, method)
    declared = getattr(function, "endpoint", None)
    if declared is None:
        raise TypeError(f"{handler.__name__}.{method} declares nothing: add @endpoint(...) above it (base.py)")
    summary = inspect.getdoc(function) or _summaries(handler).get(method) or method.upper()
    query = declared.query
    if any(_is_page(model) for model in declared.responses.values()):
        query = {**query, **PAGE_QUERY}
    query = [
        {
            "name": name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": TypeAdapter(param.kind).json_schema(),
        }
        for name, param in query.items()
    ]
    operation = {
        "summary": summary.splitlines()[0],
        "description": summary,
        "operationId": f"{handler.__name__}.{method}",
        "parameters": parameters + query,
        "responses": _responses(schemas, declared),
    }
    if method == "get":
        operation["parameters"].append(IF_NONE_MATCH)
        operation["responses"]["304"] = NOT_MODIFIED
    if declared.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _content(schemas, declared.body, declared.body_types, "validation"),
        }
    return operation


def document(name, routes, prefix):
    """The OpenAPI 3.1 document of service ``name`` for its ``(pattern, handler)`` routes."""
    schemas = Schemas()
    schemas.want(Error, "serialization")
    paths = {}
    for pattern, handler in routes:
        if not (isinstance(handler, type) and issubclass(handler, APIHandler)):
            continue
        names = GROUP.findall(pattern)
        path = GROUP.sub(lambda m: "{" + m["name"] + "}", pattern).removeprefix(prefix.rstrip("/"))
        parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        own = [m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m)]
        paths[path] = {m: _operation(schemas, handler, m, parameters) for m in own}
    paths, definitions = schemas.collect(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"gc-hub {name}", "version": "1"},
        "servers": [{"url": prefix.rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"hubToken": []}],
    }


class OpenAPIHandler(APIHandler):
    """GET: this service's OpenAPI document (public, so that clients can be generated)."""

    @endpoint(returns=OpenAPIDocument)
    def get(self):
        self.write_model(OpenAPIDocument(**self.settings["openapi"]))
