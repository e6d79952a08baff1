"""Request handlers that every service shares: hub authentication and consistent errors."""

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Annotated, Any, Literal, NamedTuple, get_args

from jupyterhub.services.auth import HubOAuthenticated
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tornado import web
from tornado.routing import PathMatches

from ..api.common import Error
from ..core.errors import GcError, PermissionDenied
from ..core.orm.notifications import committed_unread_count, unread_count
from .field_words import in_words
from .hub_login import ServiceHubAuth

log = logging.getLogger("gc-hub")

MAX_PAGE = 500
# Requests that only read: a handler that tries to commit during one is a bug, refused (500).
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Largest JSON body the APIs take; files arrive through upload sessions.
MAX_JSON_BODY = 1024 * 1024


@dataclass(frozen=True)
class Query:
    """A ``?name=`` parameter that a handler method reads: its type, what it does, whether it must be given."""

    kind: Any
    description: str
    required: bool = False


def member_query(roles):
    """The ``?username=&role=`` of a DELETE that takes a role of ``roles`` (an enum) away."""
    return {"username": Query(str, "The member's hub username.", True), "role": Query(roles, "The role.", True)}


PAGE_QUERY = {
    "offset": Query(Annotated[int, Field(ge=0)], "Where the page starts (default 0)."),
    "limit": Query(Annotated[int, Field(ge=1, le=MAX_PAGE)], "The most items a page holds (default 100)."),
}
FORMAT_QUERY = {"format": Query(Literal["json", "csv"], "json (the default), or csv for the whole list as CSV.")}


@dataclass(frozen=True)
class Endpoint:
    """What a handler method takes and answers, declared next to it with ``@endpoint``."""

    body: Any = None  # a request model (``services.api.common.Body``), or a type that documents a raw body
    responses: dict = field(default_factory=dict)  # status → response model (None: no content)
    query: dict = field(default_factory=dict)  # ?name= → Query
    body_types: tuple = ("application/json",)  # the media types of the request body
    file_types: tuple = ()  # media types of a 200 answered as a file instead of JSON

    def allows(self, status, model):
        declared = self.responses.get(status)
        return declared is not None and isinstance(model, get_args(declared) or declared)


def endpoint(body=None, returns=None, status=200, *, query=None, body_types=None, file_types=()):
    """Declare what a handler method takes (``body``) and answers: ``returns`` with ``status``, or
    ``{status: model}``; a delete ``status=204`` alone. The API checks bodies and responses with
    these, and the OpenAPI document is made of them (openapi.py)."""
    responses = returns if isinstance(returns, dict) else {status: returns}
    declared = Endpoint(body, responses, query or {}, body_types or Endpoint.body_types, file_types)

    def declare(method):
        method.endpoint = declared
        return method

    return declare


# Kept responses of these media types are kept gzip-compressed too, once, for the clients that
# accept it (browsers do): a leaderboard's page or JSON shrinks to a tenth or less.
COMPRESSIBLE = ("text/", "application/json")
# Smaller answers go as they are: a few packets either way.
MIN_COMPRESSED = 1024


class Kept(NamedTuple):
    """A response kept to be answered again: its bytes, media type and entity tag, and the same
    bytes gzip-compressed (None where compressing is not worth it)."""

    body: bytes
    content_type: str
    etag: str
    gzipped: bytes | None = None

    @classmethod
    def of(cls, body, content_type):
        body = body.encode() if isinstance(body, str) else body
        etag = f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'
        gzipped = None
        if len(body) >= MIN_COMPRESSED and content_type.startswith(COMPRESSIBLE):
            gzipped = gzip.compress(body, compresslevel=6, mtime=0)
            gzipped = gzipped if len(gzipped) < len(body) else None
        return cls(body, content_type, etag, gzipped)


def accepts_gzip(accept_encoding):
    """Whether an ``Accept-Encoding`` header's value takes gzip (``gzip`` or ``*``, not with q=0)."""
    for part in (accept_encoding or "").split(","):
        coding, *parameters = (item.strip() for item in part.split(";"))
        if coding.lower() in ("gzip", "x-gzip", "*"):
            weight = next((p.partition("=")[2] for p in parameters if p.lower().startswith("q=")), "1")
            try:
                return float(weight) > 0
            except ValueError:
                return False
    return False


class ServiceHandler(ServiceHubAuth, HubOAuthenticated, web.RequestHandler):
    """A handler whose user is authenticated by the hub (OAuth cookie or API token).

    Each request gets its own database session; nothing is written unless the handler calls
    ``self.commit()``, so a request that fails half-way writes nothing; and a GET never writes:
    ``commit`` refuses during one, whatever the handler does before.
    """

    _db = None
    # A landing page answers every signed-in user whatever is stored (a start page, a listing):
    # error pages offer the nearest one as the way on.
    landing = False

    def set_default_headers(self):
        # Each answer is one user's: no shared cache may keep it, and a browser asks again each
        # time, sending the ETag of what it has (If-None-Match) to get 304 while it is the same.
        # Tornado tags every 200 to a GET with a hash of its body and answers 304 when it matches.
        self.set_header("Cache-Control", "private, no-cache")

    async def prepare(self):
        # Who is asking, found on the IO loop: a token or cookie seen before comes from the hub
        # client's cache at once, a new one is checked with the hub without blocking the others.
        await self.hub_auth.get_user(self, sync=False)

    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        namespace["unread_notifications"] = self.unread_notifications
        return namespace

    def unread_notifications(self):
        """How many of the caller's notifications are unread, for the bell of every page (None:
        nobody signed in, or the database did not answer; the page is shown all the same)."""
        if not self.current_user:
            return None
        try:
            if self._db is None:  # this request has nothing pending: no session is needed to count
                return committed_unread_count(self.platform["engine"], self.username)
            return unread_count(self.db, self.username)
        except SQLAlchemyError:
            log.warning("could not count the unread notifications of %s", self.username, exc_info=True)
            return None

    def write_kept(self, kept):
        """Answer ``kept`` (a Kept); 304 without the body when the client has it (If-None-Match),
        its compressed bytes to a client that accepts gzip. The compressed answer's ETag is the
        weak form of the other's (the same content, encoded), so either one gets a 304."""
        self.set_header("Content-Type", kept.content_type)
        body, etag = kept.body, kept.etag
        if kept.gzipped is not None:
            self.set_header("Vary", "Accept-Encoding")
            if accepts_gzip(self.request.headers.get("Accept-Encoding")):
                self.set_header("Content-Encoding", "gzip")
                body, etag = kept.gzipped, "W/" + kept.etag
        self.set_header("Etag", etag)
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
        else:
            self.finish(body)

    @property
    def platform(self):
        """The service's settings and shared objects (see app.py)."""
        return self.settings["platform"]

    @property
    def user(self):
        """The hub's model of the current user: name, admin, groups, scopes."""
        return self.current_user

    @property
    def username(self):
        return self.current_user["name"]

    @property
    def db(self):
        if self._db is None:
            self._db = Session(self.platform["engine"], expire_on_commit=False)
        return self._db

    def commit(self):
        if self.request.method in SAFE_METHODS:
            raise RuntimeError(
                f"{type(self).__name__} tried to change state on a {self.request.method}; "
                "only POST, PUT, PATCH and DELETE may"
            )
        self.db.commit()

    def on_finish(self):
        if self._db is not None:
            self._db.close()  # rolls back whatever was not committed

    def has_scope(self, scope):
        return scope in self.user.get("scopes", ())

    def require_scope(self, scope, doing):
        """PermissionDenied unless the user's hub groups grant ``scope``."""
        if not self.has_scope(scope):
            raise PermissionDenied(f"You may not {doing}: that needs the hub permission {scope}.")

    def window(self):
        """``(offset, limit)`` of a page, from ``?offset=&limit=``."""
        return self._int_argument("offset", 0, minimum=0), self._int_argument("limit", 100, minimum=1, maximum=MAX_PAGE)

    def _int_argument(self, name, default, minimum, maximum=None):
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise GcError(f"?{name}= must be a whole number, not {raw!r}.") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise GcError(f"?{name}= must be {bounds}, not {value}.")
        return value

    def log_exception(self, typ, value, tb):
        if isinstance(value, GcError):  # the user's mistake, not ours: one line, no traceback
            log.info("%s %s: %s", value.status, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)

    def error_message(self, status_code, exc_info):
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, GcError):
            self.set_status(exc.status)
            return exc.message
        if isinstance(exc, web.HTTPError) and exc.log_message:
            return exc.log_message % exc.args if exc.args else exc.log_message
        return HTTPStatus(status_code).phrase

    def wants_json(self):
        """Whether an error should be answered as JSON: for the API's paths, and for whoever asks
        for JSON rather than a page (``Accept: application/json`` without ``text/html``)."""
        if self.request.path.startswith(self.api_prefix):
            return True
        accept = self.request.headers.get("Accept", "")
        return "application/json" in accept and "text/html" not in accept

    @property
    def api_prefix(self):
        return self.service_prefix + "api/"

    def write_error(self, status_code, **kwargs):
        message = self.error_message(status_code, kwargs.get("exc_info"))
        if self.wants_json():
            self.set_header("Content-Type", "application/json")
            self.finish(Error(status=self.get_status(), message=message).model_dump_json())
        else:
            self.write_error_page(message)

    def write_error_page(self, message):
        """The error as a page with the platform's navigation, and a way on from where the user is."""
        status = self.get_status()
        # who asks, if the hub said so already: an error page never waits on the hub
        if not hasattr(self, "_current_user"):
            self._current_user = getattr(self, "_cached_hub_user", None)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.render(
            "error.html",
            status=status,
            phrase=HTTPStatus(status).phrase,
            message=in_words(message),
            way_on=way_on(self.application, self.request.path, self.service_prefix),
            service_prefix=self.service_prefix,
            error=None,
        )

    @property
    def service_prefix(self):
        """Where this service's paths start (``/services/<name>/``)."""
        return self.platform["prefix"]


class APIHandler(ServiceHandler):
    """A JSON API handler: never redirects to a login page, errors are ``{status, message}``."""

    def get_login_url(self):
        raise web.HTTPError(
            403,
            "Not signed in: send a hub API token as 'Authorization: token <token>' "
            "(create one on the hub's Token page).",
        )

    async def prepare(self):
        size = int(self.request.headers.get("Content-Length") or 0)
        if size > self.settings.get("max_json_body", MAX_JSON_BODY):
            raise GcError(
                f"The request body is {size:,} bytes; the API takes at most "
                f"{MAX_JSON_BODY:,}. Send files through an upload session.",
                status=413,
            )
        await super().prepare()

    def check_xsrf_cookie(self):
        # Token-authenticated API calls carry no cookie to forge; browser calls are checked.
        if self.request.headers.get("Authorization"):
            return
        return super().check_xsrf_cookie()

    @property
    def declared(self):
        """The ``Endpoint`` of the method that answers this request."""
        return getattr(type(self), self.request.method.lower()).endpoint

    def model_json(self, model, status=200):
        """``model`` as JSON text: a response model that this method declares for ``status``."""
        if not self.declared.allows(status, model):
            raise RuntimeError(f"{type(self).__name__}.{self.request.method} does not declare {status} {type(model)}")
        return model.model_dump_json()

    def write_model(self, model, status=200):
        """Answer ``model`` as JSON: a response model that this method declares for ``status``."""
        body = self.model_json(model, status)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)

    def write_no_content(self):
        """204: done, nothing to say (deletes)."""
        self.set_status(204)
        self.finish()

    def json_object(self):
        """The request's body as JSON; 400 unless it is."""
        try:
            return json.loads(self.request.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise GcError(f"The request body is not valid JSON: {e}") from None

    def body(self):
        """The request's JSON body read by the method's declared request model; 400 with what to fix."""
        data = self.json_object()
        if not isinstance(data, dict):
            raise GcError(f"The request body must be a JSON object, not {type(data).__name__}.")
        return self.declared.body.read(data)

    def page(self, query, serialize=None, serialize_rows=None, count=None):
        """One page of ``query``'s rows, from ``?offset=&limit=``, with the total count, as the page
        model that the method declares for 200.

        ``query`` selects ORM objects, or columns (each row then has them as attributes, which
        is cheaper for long lists). Rows become response models one by one with ``serialize``, or
        all at once with ``serialize_rows`` (which can look up what they need in one query instead
        of one per row). ``count`` is the total, when the caller found it more cheaply than by
        counting ``query``'s rows."""
        offset, limit = self.window()
        result = self.db.execute(query.offset(offset).limit(limit))
        rows = result.scalars().all() if _selects_objects(query) else result.all()
        if count is None and len(rows) < limit and (rows or offset == 0):
            count = offset + len(rows)  # the last page: no need to count
        elif count is None:
            count = self.db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        results = serialize_rows(rows) if serialize_rows else [serialize(r) for r in rows]
        return self.declared.responses[200](count=count, offset=offset, limit=limit, results=results)


def _selects_objects(query):
    """Whether ``query`` selects ORM objects (``select(Archive)``) rather than columns."""
    selected = query.column_descriptions
    return len(selected) == 1 and selected[0]["expr"] is selected[0]["entity"]


def page_routes(application, landing=False):
    """The path patterns of ``application``'s handlers (the catch-all 404 left out); with
    ``landing``, only those of its landing pages."""
    return [
        rule.matcher.regex
        for rule in application.wildcard_router.rules
        if isinstance(rule.matcher, PathMatches)
        and rule.target is not NotFoundHandler
        and (not landing or getattr(rule.target, "landing", False))
    ]


def same_page(application, path, service_prefix):
    """The path of the page that ``path`` means, or None: the same without a trailing slash, or
    the object of that slug in the service's collection (``/services/challenges/demo`` →
    ``…/challenges/demo``). Only paths are compared: whether the object is there, the page
    itself says, by its own rules."""
    routes = page_routes(application)
    candidates = [path.rstrip("/")]
    rest = path[len(service_prefix) :].strip("/")
    if rest and "/" not in rest:
        candidates += [f"{service_prefix}{collection}/{rest}" for collection in COLLECTIONS]
    return next((c for c in candidates if c and c != path and any(r.fullmatch(c) for r in routes)), None)


def way_on(application, path, service_prefix):
    """The nearest parent of ``path`` that is a landing page, which answers every signed-in user
    whatever is stored; None when that is the service's start page (error pages link it anyway).
    A parent that names an object (``…/challenges/<slug>``) is never offered: it may not exist."""
    landings = page_routes(application, landing=True)
    parent = path.rstrip("/")
    while len(parent) > len(service_prefix):
        parent = parent.rsplit("/", 1)[0]
        if any(r.fullmatch(parent) for r in landings):
            return parent
    return None


# The collections of the services' pages, where a bare slug is looked for.
COLLECTIONS = ("challenges", "archives", "leaderboards", "reader-studies")


class NotFoundHandler(APIHandler):
    """Unknown paths: 404 that says so, as JSON for the API; a browser that GETs a page path
    with a near page (a missing or extra slash, a bare slug) is sent there."""

    async def prepare(self):
        await super().prepare()  # who asks, for the navigation of the error page
        if self.request.method == "GET" and not self.wants_json():
            near = same_page(self.application, self.request.path, self.service_prefix)
            if near:
                self.redirect(near)
                return
        raise web.HTTPError(404, f"No such endpoint: {self.request.path}")
