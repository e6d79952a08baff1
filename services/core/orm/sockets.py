"""Sockets (typed inputs and outputs) and the immutable values stored in them."""

import json
import posixpath
import re
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..catalogue import COMMON_SOCKETS
from ..errors import Conflict, InvalidValue, with_article
from ..paths import inside
from ..schemas import FILE_EXTENSIONS, SocketKind, schema_problem, value_problem
from .base import Base, JSONData, Named, utcnow
from .images import Image

SHA256 = re.compile(r"[0-9a-f]{64}")


UUID_IN_PATH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def default_relative_path(kind, slug):
    """``images/<slug>`` for images, ``<slug>.json`` for JSON values, ``<slug>.<ext>`` for files."""
    kind = SocketKind(kind)
    if kind.is_image:
        return f"images/{slug}"
    return slug + (FILE_EXTENSIONS[kind] if kind.is_file else ".json")


def relative_path_problem(kind, slug, path):
    """Why ``path`` cannot be the relative path of a socket of ``kind`` (grand-challenge's rules:
    an image is a folder ``images/<name>``, anything else a file with its kind's extension outside
    ``images/``, no UUID, not ``inputs.json``), or None when it can. The platform's own sockets keep
    grand-challenge's paths even where these rules came later (``generic-medical-image``)."""
    kind = SocketKind(kind)
    if catalogue_path(slug) == path:
        return None
    example = default_relative_path(kind, slug)
    if path.casefold() == "inputs.json":
        return "inputs.json is where the platform describes the inputs; choose another path"
    if UUID_IN_PATH.search(path):
        return "a relative path may not hold a UUID (the platform puts job ids there)"
    if kind.is_image:
        name = posixpath.basename(path)
        if not path.startswith("images/") or "." in name:
            return f"an image's path is a folder under images/, for example {example!r}"
    elif path.startswith("images/"):
        return f"only images go under images/; for example {example!r}"
    elif not path.lower().endswith(FILE_EXTENSIONS.get(kind, ".json")):
        return f"it must end with {FILE_EXTENSIONS.get(kind, '.json')}, for example {example!r}"
    return None


def catalogue_path(slug):
    """The relative path of the platform's own socket ``slug``, or None if it is not one."""
    return next((socket.relative_path for socket in COMMON_SOCKETS if socket.slug == slug), None)


class Socket(Named, Base):
    """A typed input or output (grand-challenge's ComponentInterface). Its value lands at
    ``/input/<relative_path>`` (or is read from ``/output/<relative_path>``) in a container."""

    __tablename__ = "sockets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SocketKind]
    relative_path: Mapped[str] = mapped_column(String(255))
    extra_schema: Mapped[dict | None] = mapped_column(JSONData)

    def __init__(self, **kwargs):
        """Like every model; the relative path defaults after the kind and slug, and must fit the
        kind (``relative_path_problem``)."""
        super().__init__(**kwargs)
        if self.kind is None or self.slug is None:
            raise InvalidValue("a socket needs a slug and a kind")
        if self.relative_path is None:
            self.relative_path = default_relative_path(self.kind, self.slug)
        problem = relative_path_problem(self.kind, self.slug, self.relative_path)
        if problem:
            raise InvalidValue(
                f"socket {self.slug!r}: {self.relative_path!r} does not fit {with_article(self.kind)} socket: {problem}"
            )

    @property
    def super_kind(self):
        return self.kind.super_kind

    @validates("kind")
    def _validate_kind(self, _key, kind):
        try:
            return SocketKind(kind)
        except ValueError:
            raise InvalidValue(f"{kind!r} is not a socket kind; choose from {', '.join(SocketKind)}") from None

    @validates("relative_path")
    def _validate_relative_path(self, _key, path):
        if path == "" and catalogue_path(self.slug) == "":
            return path  # generic-medical-image: the image files right in /input, as on grand-challenge
        return inside("relative_path", path)  # under /input or /output, written plainly, no trailing /

    @validates("extra_schema")
    def _validate_extra_schema(self, _key, schema):
        problem = schema is not None and schema_problem(schema)
        if problem:
            raise InvalidValue(f"socket {self.slug!r}: {problem}")
        return schema


class StoredFile(NamedTuple):
    """A file in the data directory: its path there, its size in bytes and its SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


class SocketValue(Base):
    """One value of a socket: a JSON value, an image or a stored file (exactly one). Values never
    change once stored; make a new one instead. Archive items, jobs and reader-study cases share
    them, so a value outlives each of those."""

    __tablename__ = "socket_values"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN value IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN image_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN file_path IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_of_value_image_file",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    socket_id: Mapped[int] = mapped_column(ForeignKey("sockets.id", ondelete="RESTRICT"), index=True)
    socket: Mapped[Socket] = relationship()
    # A JSON value; JSON null is stored as JSON (SQL NULL means the value is an image or a file).
    value: Mapped[Any] = mapped_column(JSONData, nullable=True)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id", ondelete="RESTRICT"), index=True)
    image: Mapped[Image | None] = relationship()
    file_path: Mapped[str | None] = mapped_column(String(1024))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def file(self):
        return None if self.file_path is None else StoredFile(self.file_path, self.file_size, self.file_sha256)

    @validates("socket", "socket_id", "value", "image", "image_id", "file_path", "file_size", "file_sha256")
    def _refuse_changes(self, key, new):
        if inspect(self).has_identity:
            raise Conflict(f"socket value {self.id} is stored and cannot change ({key}); make a new value")
        return new


_NOTHING = object()


def make_value(session, socket, *, value=_NOTHING, image=None, file=None):
    """A new value of ``socket``, added to ``session``: a JSON ``value`` that fits the kind's schema
    and the socket's extra schema, an ``image`` (an Image) or a ``file`` (a StoredFile).

    Raises InvalidValue naming the socket and what is wrong.
    """
    kind = socket.kind
    wanted = "an image" if kind.is_image else "a file" if kind.is_file else "a JSON value"
    offered = (("a JSON value", value is not _NOTHING), ("an image", image is not None), ("a file", file is not None))
    given = [name for name, present in offered if present]
    if given != [wanted]:
        raise InvalidValue(f"socket {socket.slug!r} takes {wanted} ({kind}), not {' and '.join(given) or 'nothing'}")
    if image is not None:
        if not isinstance(image, Image):
            raise InvalidValue(f"socket {socket.slug!r}: {image!r} is not an image")
        new = SocketValue(socket=socket, image=image)
    elif file is not None:
        file = StoredFile(*file)
        _check_file(socket, file)
        new = SocketValue(socket=socket, file_path=file.path, file_size=file.size, file_sha256=file.sha256)
    else:
        _check_json(socket, value)
        new = SocketValue(socket=socket, value=value)
    session.add(new)
    return new


def _check_json(socket, value):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"socket {socket.slug!r}: {value!r} is not JSON ({error})") from None
    problem = value_problem(socket.kind, value, socket.extra_schema)
    if problem:
        raise InvalidValue(f"socket {socket.slug!r}: {problem}")


def _check_file(socket, file):
    extension = FILE_EXTENSIONS[socket.kind]
    if not file.path.lower().endswith(extension):
        raise InvalidValue(f"socket {socket.slug!r}: {posixpath.basename(file.path)!r} is not a {extension} file")
    if not isinstance(file.size, int) or file.size < 0:
        raise InvalidValue(f"socket {socket.slug!r}: {file.size!r} is not a file size")
    if not isinstance(file.sha256, str) or not SHA256.fullmatch(file.sha256):
        raise InvalidValue(f"socket {socket.slug!r}: {file.sha256!r} is not a SHA-256 in lowercase hex")
