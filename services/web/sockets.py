"""The sockets API (archives service): grand-challenge's common sockets and those researchers
define. A socket's creator (or a hub admin) may change it, within grand-challenge's rules: while
values, interfaces or phases use it, its kind and relative path stay, and a new extra schema must
fit every value stored already. The platform's own sockets (created by ``gc-hub``) never change."""

from sqlalchemy import exists, or_, select
from tornado import web

from ..api import archives as shapes
from ..core.catalogue import PLATFORM
from ..core.errors import Conflict, InvalidValue, NotFound, PermissionDenied, with_article
from ..core.orm import Socket, SocketValue, default_relative_path, relative_path_problem, save
from ..core.orm.challenges import phase_evaluation_inputs, phase_evaluation_outputs
from ..core.orm.interfaces import interface_inputs, interface_outputs
from ..core.schemas import SocketKind, value_problem
from .archives import CREATE_ARCHIVES
from .base import APIHandler, Query, endpoint

# How many stored values a new extra schema is checked against before it is refused as too costly.
MAX_VALUES_CHECKED = 10_000


def in_use(db, socket):
    """Whether values, interfaces or phases use ``socket``."""
    links = (interface_inputs, interface_outputs, phase_evaluation_inputs, phase_evaluation_outputs)
    users = (
        select(SocketValue.id).where(SocketValue.socket_id == socket.id),
        *(select(link.c.socket_id).where(link.c.socket_id == socket.id) for link in links),
    )
    return db.scalar(select(or_(*(exists(query) for query in users))))


def check_path_free(db, socket):
    """Conflict if another socket has ``socket``'s relative path (a container would find two values there)."""
    other = db.scalar(select(Socket.slug).where(Socket.relative_path == socket.relative_path, Socket.id != socket.id))
    if other is not None:
        raise Conflict(
            f"socket {other!r} has the relative path {socket.relative_path!r} already; choose another path"
            " (each socket has its own place in /input and /output)"
        )


class SocketAccess:
    """Finding sockets and the rules for changing them."""

    def socket(self, slug):
        socket = self.db.scalar(select(Socket).filter_by(slug=slug))
        if socket is None:
            raise NotFound(f"There is no socket {slug!r}; GET sockets lists them.")
        return socket

    def shape(self, socket):
        return shapes.Socket.of(socket, in_use(self.db, socket))

    def change_socket(self, socket, body):
        """Apply ``body`` (a SocketChange) to ``socket`` if the caller may and the rules allow."""
        if socket.created_by == PLATFORM:
            raise PermissionDenied(
                f"Socket {socket.slug!r} is one of grand-challenge's common sockets, which stay as they are;"
                " define a socket of your own (POST sockets) to change it."
            )
        if socket.created_by != self.username and not self.user.get("admin"):
            raise PermissionDenied(f"Only {socket.created_by}, who defined socket {socket.slug!r}, may change it.")
        given = body.given()
        used = in_use(self.db, socket)
        for field in ("kind", "relative_path"):
            if field in given and given[field] != getattr(socket, field) and used:
                raise Conflict(
                    f"Socket {socket.slug!r} is in use (values, interfaces or phases), so its {field} stays"
                    f" {str(getattr(socket, field))!r}; define a new socket instead."
                )
        kind = SocketKind(given.get("kind", socket.kind))
        path = given.get("relative_path", socket.relative_path)
        if "relative_path" not in given and relative_path_problem(kind, socket.slug, path):
            path = default_relative_path(kind, socket.slug)  # a new kind, and the old path does not fit it
        for field, value in (given | {"kind": kind, "relative_path": path}).items():
            setattr(socket, field, value)
        problem = relative_path_problem(kind, socket.slug, socket.relative_path)
        if problem:
            raise InvalidValue(
                f"relative_path {socket.relative_path!r} does not fit {with_article(kind)} socket: {problem}."
            )
        if "extra_schema" in given:
            self.check_stored_values(socket)
        check_path_free(self.db, socket)

    def check_stored_values(self, socket):
        """InvalidValue unless every JSON value of ``socket`` fits its (new) extra schema."""
        if not socket.kind.is_json:
            return
        query = select(SocketValue.id, SocketValue.value).filter_by(socket_id=socket.id).limit(MAX_VALUES_CHECKED + 1)
        values = self.db.execute(query).all()
        if len(values) > MAX_VALUES_CHECKED:
            raise Conflict(
                f"Socket {socket.slug!r} holds more than {MAX_VALUES_CHECKED} values; its schema can no longer"
                " change. Define a new socket instead."
            )
        for value_id, value in values:
            if value_problem(socket.kind, value, socket.extra_schema):
                raise InvalidValue(
                    f"extra_schema: stored value {value_id} of socket {socket.slug!r} does not fit it; a schema"
                    " may only change to one that every stored value fits."
                )


class SocketsHandler(SocketAccess, APIHandler):
    """GET: every socket. POST: define a new one (researchers)."""

    @endpoint(returns=shapes.SocketPage, query={"kind": Query(SocketKind, "Only the sockets of this kind.")})
    @web.authenticated
    def get(self):
        query = select(Socket).order_by(Socket.slug)
        if kind := self.get_argument("kind", None):
            query = query.filter_by(kind=shapes.socket_kind("kind", kind))
        self.write_model(self.page(query, self.shape))

    @endpoint(shapes.SocketCreate, shapes.Socket, 201)
    @web.authenticated
    def post(self):
        self.require_scope(CREATE_ARCHIVES, "define sockets")
        socket = Socket(**self.body().given(), created_by=self.username)  # the relative path defaults by kind
        check_path_free(self.db, socket)
        save(self.db, socket)
        self.commit()
        self.write_model(self.shape(socket), 201)


class SocketHandler(SocketAccess, APIHandler):
    """GET: one socket. PATCH (its creator, or a hub admin): title, description, kind, relative
    path, extra schema, within the rules above."""

    @endpoint(returns=shapes.Socket)
    @web.authenticated
    def get(self, slug):
        self.write_model(self.shape(self.socket(slug)))

    @endpoint(shapes.SocketChange, shapes.Socket)
    @web.authenticated
    def patch(self, slug):
        socket = self.socket(slug)
        with self.db.no_autoflush:
            self.change_socket(socket, self.body())
        self.commit()
        self.write_model(self.shape(socket))


def routes(prefix):
    api = prefix + "api/v1/"
    return [(api + "sockets", SocketsHandler), (api + r"sockets/(?P<slug>[a-z0-9-]+)", SocketHandler)]
