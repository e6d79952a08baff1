"""The archives service's shapes: sockets, archives, their members and their cases."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, JsonValue, field_validator

from ..core.errors import InvalidValue
from ..core.orm import ArchiveRole
from ..core.schemas import SocketKind
from .common import Body, Shape, Time, page_of
from .fields import AnyString, Slug, one_of, parsed, stored


def socket_kind(field, name):
    """``name`` as a SocketKind; InvalidValue listing the kinds otherwise."""
    try:
        return SocketKind(name)
    except ValueError:
        choices = ", ".join(k.value for k in SocketKind)
        raise InvalidValue(f"'{field}' must be one of: {choices}; not {name!r}.") from None


class Socket(Shape):
    """A typed input or output: what a case, a job or an answer holds under its slug."""

    slug: str
    title: str
    description: str
    kind: SocketKind
    kind_name: str = Field(description="The kind as grand-challenge names it (in inputs.json and predictions.json).")
    super_kind: Literal["Image", "File", "Value"] = Field(description="grand-challenge's group of the kind.")
    relative_path: str = Field(description="Where a container finds its value under /input (or leaves it in /output).")
    extra_schema: dict[str, Any] | None = Field(description="A JSON Schema that JSON values must also fit.")
    created_by: str = Field(description="Who defined it; gc-hub for grand-challenge's common sockets.")
    in_use: bool = Field(description="Whether values, interfaces or phases use it: then its kind and path stay.")

    @classmethod
    def of(cls, socket, in_use):
        return cls.from_object(socket, kind_name=socket.kind.grand_challenge_name, in_use=in_use)


SocketPage = page_of(Socket)


class SocketCreate(Body):
    """A new socket; its relative path defaults after its kind and slug."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"slug": "age", "title": "Age", "kind": "integer"}]})

    slug: Slug
    title: stored(type="string", maxLength=255)
    kind: parsed(socket_kind, SocketKind)
    description: stored(type="string") = ""
    relative_path: stored(type="string") = None
    extra_schema: stored(type=["object", "null"]) = None


class SocketChange(Body):
    """New values for a socket you defined. While values, interfaces or phases use it, its kind
    and relative path stay; a new extra schema must fit every value stored already."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Age in years", "relative_path": "age.json"}]})

    title: stored(type="string", maxLength=255) = None
    description: stored(type="string") = None
    kind: parsed(socket_kind, SocketKind) = None
    relative_path: stored(type="string") = None
    extra_schema: stored(type=["object", "null"]) = None


class ImageValue(Shape):
    """An image's value: the id of the image (GET images/<id>/file)."""

    image: int


class FileValue(Shape):
    """A file's value: its name and size in bytes."""

    file: str
    size: int


# What a socket holds in a case: an image, a file, or a JSON value.
Value = ImageValue | FileValue | JsonValue


def value_of(value):
    """The ``Value`` of a stored SocketValue."""
    if value.image_id is not None:
        return ImageValue(image=value.image_id)
    if value.file_path is not None:
        return FileValue(file=value.file_path.rsplit("/", 1)[-1], size=value.file_size)
    return value.value


def values_of(values):
    """``{socket slug: Value}`` of stored SocketValues."""
    return {value.socket.slug: value_of(value) for value in values}


class Archive(Shape):
    """An archive, with the caller's roles on it."""

    slug: str
    title: str
    description: str
    created_by: str
    created_at: Time
    viewer_configuration: str | None = Field(
        description="The slug of the viewer configuration its cases are shown with."
    )
    hanging_protocol: str | None = Field(description="The slug of the hanging protocol that lays out its viewports.")
    my_roles: list[ArchiveRole]

    @field_validator("viewer_configuration", "hanging_protocol", mode="before")
    @classmethod
    def _slug(cls, value):
        """An archive's viewer configuration or hanging protocol by its slug (a list's rows hold the slug)."""
        return getattr(value, "slug", value)

    @classmethod
    def of(cls, archive, roles):
        return cls.from_object(archive, my_roles=sorted(str(role) for role in roles))


ArchivePage = page_of(Archive)


class ArchiveCreate(Body):
    """A new archive, whose creator becomes its editor."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"slug": "chest-ct", "title": "Chest CT"}]})

    slug: Slug
    title: stored(type="string", maxLength=255)
    description: stored(type="string") = ""


class ArchiveChange(Body):
    """New values for an archive's title or description, or how its cases are shown."""

    title: AnyString = None
    description: AnyString = None
    viewer_configuration: AnyString = Field(default=None, description="A viewer configuration's slug ('' for none).")
    hanging_protocol: AnyString = Field(default=None, description="A hanging protocol's slug ('' for none).")


class ArchiveMembers(Shape):
    """Who holds which role on an archive."""

    editor: list[str]
    uploader: list[str]
    user: list[str]


class MemberGrant(Body):
    """Give a hub user a role."""

    username: stored(type="string")
    role: one_of(ArchiveRole)


class ArchiveItem(Shape):
    """A case of an archive: its values by socket slug."""

    id: int
    created_at: Time
    values: dict[str, Value]

    @classmethod
    def of(cls, item):
        return cls.from_object(item, values=values_of(item.values))


ArchiveItemPage = page_of(ArchiveItem)


def socket_values(field, values):
    if not isinstance(values, dict) or not values:
        raise InvalidValue(f"'{field}' must be an object mapping socket slugs to values.")
    return values


class ArchiveItemCreate(Body):
    """A new case of JSON values: ``{socket slug: value}`` (images and files are uploaded instead)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"values": {"age": 63}}]})

    values: parsed(socket_values, dict[str, Any], min_length=1)
