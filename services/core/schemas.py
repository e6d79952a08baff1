"""Socket kinds and the JSON Schema of each JSON kind.

Coordinates are world coordinates in millimetres, ``[x, y, z]``. The annotation shapes follow
grand-challenge's, so that containers written for it read them unchanged; each names its shape
in ``"type"`` and may carry a ``"name"`` (and any other keys, such as ``"version"``):

- ``point``: ``{"type": "Point", "point": [x, y, z]}``
- ``multiple-points``: ``{"type": "Multiple points", "points": [{"point": [x, y, z]}, ...]}``
- ``2d-bounding-box``: ``{"type": "2D bounding box", "corners": [[x, y, z] x 4]}``, the four
  corners of a rectangle in one slice
- ``polygon``: ``{"type": "Polygon", "path_points": [[x, y, z], ...]}``, at least three points;
  the last point joins the first
- ``line``: ``{"type": "Line", "points": [[x, y, z], ...]}``, an open path of at least two points
- ``distance``: ``{"type": "Distance measurement", "start": [x, y, z], "end": [x, y, z]}``

``choice`` is a string and ``multiple-choice`` a list of distinct strings; their choices come
from the socket's extra schema (``{"enum": [...]}``, or ``{"items": {"enum": [...]}}``).

A socket's extra schema stands alone: it may refer to its own parts (``"$ref": "#/$defs/x"``),
never to anything else (``http://``, ``file://``, a relative name, another ``$id``). Such a schema
is refused when a socket is made, and the validator cannot fetch anything even for one that was
stored before: its registry holds the JSON Schema meta-schemas and refuses every retrieval.
"""

from enum import StrEnum

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable


class SocketKind(StrEnum):
    """What a socket holds: an image, a JSON value or a file."""

    IMAGE = "image"
    SEGMENTATION = "segmentation"
    HEAT_MAP = "heat-map"

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOL = "bool"
    ANY = "any"
    CHOICE = "choice"
    MULTIPLE_CHOICE = "multiple-choice"
    BOUNDING_BOX_2D = "2d-bounding-box"
    POINT = "point"
    MULTIPLE_POINTS = "multiple-points"
    POLYGON = "polygon"
    LINE = "line"
    DISTANCE = "distance"

    CSV = "csv"
    ZIP = "zip"
    PDF = "pdf"
    PNG = "png"
    JSON_FILE = "json-file"

    @property
    def is_image(self):
        return self in IMAGE_KINDS

    @property
    def is_json(self):
        return self in SCHEMAS

    @property
    def is_file(self):
        return self in FILE_EXTENSIONS

    @property
    def grand_challenge_name(self):
        """The kind's name as grand-challenge writes it (``inputs.json``, ``predictions.json``)."""
        return GRAND_CHALLENGE_NAMES[self]

    @property
    def super_kind(self):
        """``Image``, ``File`` or ``Value``: how grand-challenge groups kinds (a JSON file is a File)."""
        return "Image" if self.is_image else "File" if self.is_file else "Value"


IMAGE_KINDS = frozenset({SocketKind.IMAGE, SocketKind.SEGMENTATION, SocketKind.HEAT_MAP})

FILE_EXTENSIONS = {
    SocketKind.CSV: ".csv",
    SocketKind.ZIP: ".zip",
    SocketKind.PDF: ".pdf",
    SocketKind.PNG: ".png",
    SocketKind.JSON_FILE: ".json",
}

# grand-challenge's display names of the kinds (its InterfaceKindChoices); a JSON file is its
# "Anything" kind kept as a file rather than in the database.
GRAND_CHALLENGE_NAMES = {
    SocketKind.IMAGE: "Image",
    SocketKind.SEGMENTATION: "Segmentation",
    SocketKind.HEAT_MAP: "Heat Map",
    SocketKind.STRING: "String",
    SocketKind.INTEGER: "Integer",
    SocketKind.FLOAT: "Float",
    SocketKind.BOOL: "Bool",
    SocketKind.ANY: "Anything",
    SocketKind.CHOICE: "Choice",
    SocketKind.MULTIPLE_CHOICE: "Multiple choice",
    SocketKind.BOUNDING_BOX_2D: "2D bounding box",
    SocketKind.POINT: "Point",
    SocketKind.MULTIPLE_POINTS: "Multiple points",
    SocketKind.POLYGON: "Polygon",
    SocketKind.LINE: "Line",
    SocketKind.DISTANCE: "Distance measurement",
    SocketKind.CSV: "CSV file",
    SocketKind.ZIP: "ZIP file",
    SocketKind.PDF: "PDF file",
    SocketKind.PNG: "Thumbnail png",
    SocketKind.JSON_FILE: "Anything",
}

_XYZ = {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}


def _shape(type_name, **properties):
    """An annotation object: its ``type``, an optional ``name``, and the given properties."""
    return {
        "type": "object",
        "properties": {"type": {"const": type_name}, "name": {"type": "string"}, **properties},
        "required": ["type", *properties],
    }


SCHEMAS = {
    SocketKind.STRING: {"type": "string"},
    SocketKind.INTEGER: {"type": "integer"},
    SocketKind.FLOAT: {"type": "number"},
    SocketKind.BOOL: {"type": "boolean"},
    SocketKind.ANY: {},
    SocketKind.CHOICE: {"type": "string"},
    SocketKind.MULTIPLE_CHOICE: {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    SocketKind.BOUNDING_BOX_2D: _shape(
        "2D bounding box", corners={"type": "array", "items": _XYZ, "minItems": 4, "maxItems": 4}
    ),
    SocketKind.POINT: _shape("Point", point=_XYZ),
    SocketKind.MULTIPLE_POINTS: _shape(
        "Multiple points",
        points={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"point": _XYZ, "name": {"type": "string"}},
                "required": ["point"],
            },
        },
    ),
    SocketKind.POLYGON: _shape("Polygon", path_points={"type": "array", "items": _XYZ, "minItems": 3}),
    SocketKind.LINE: _shape("Line", points={"type": "array", "items": _XYZ, "minItems": 2}),
    SocketKind.DISTANCE: _shape("Distance measurement", start=_XYZ, end=_XYZ),
}


def _refuse_retrieval(uri):
    raise NoSuchResource(ref=uri)


# What the validator may resolve a reference to: the schema itself and the meta-schemas, which
# jsonschema adds to any registry it is given; anything else is refused, never fetched.
LOCAL_ONLY = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # mypy misses the attrs alias
REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
DIALECT = Draft202012Validator.META_SCHEMA["$id"]


def outside_reference(schema, where=""):
    """Where and how ``schema`` refers to something outside itself, or None when it does not:
    a reference that is not a fragment of its own (``#…``), an ``$id`` (which would make its
    references resolve elsewhere), a ``$schema`` other than the dialect it is checked with. Every
    part of it is looked at, values included (a const that looks like a reference is refused too)."""
    parts = enumerate(schema) if isinstance(schema, list) else schema.items() if isinstance(schema, dict) else ()
    for key, value in parts:
        at = f"{where}/{key}"
        if isinstance(value, str) and key in REFERENCE_KEYWORDS and not value.startswith("#"):
            return (
                f"{key} {value!r} at {at} refers outside it, and nothing is fetched; put what it needs under"
                " $defs and refer to it as '#/$defs/<name>'"
            )
        if isinstance(value, str) and key == "$id":
            return f"$id {value!r} at {at} would make its references resolve elsewhere; leave $id out"
        if isinstance(value, str) and key == "$schema" and value.rstrip("#") != DIALECT:
            return f"$schema {value!r} at {at} is not {DIALECT}, the dialect sockets are checked with; leave it out"
        found = outside_reference(value, at)
        if found:
            return found
    return None


def schema_problem(schema):
    """Why ``schema`` is not a valid JSON Schema that stands alone, or None when it is one."""
    outside = outside_reference(schema)
    if outside:
        return f"the extra schema must stand alone: its {outside}"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return f"the extra schema is not a valid JSON Schema: {_describe(error)}"
    return None


class UnresolvableReference(ValueError):
    """A stored schema refers to something it does not hold (nothing is fetched to find it)."""

    def __init__(self, ref):
        super().__init__(
            f"the socket's schema refers to {ref!r}, which it does not hold (nothing is fetched);"
            " its creator must fix the schema"
        )


def value_error(kind, value, extra_schema=None):
    """How ``value`` breaks the schema of JSON ``kind`` or the socket's extra schema (the most
    relevant jsonschema ValidationError), or None when it fits both; UnresolvableReference when
    a schema refers elsewhere."""
    return first_error(value, SCHEMAS[SocketKind(kind)], extra_schema)


def first_error(value, *schemas):
    """The most relevant error of ``value`` against the first of ``schemas`` (empty ones are
    skipped) that it breaks, or None; UnresolvableReference when a schema refers elsewhere."""
    for schema in schemas:
        if schema:
            try:
                error = best_match(Draft202012Validator(schema, registry=LOCAL_ONLY).iter_errors(value))
            except Unresolvable as unresolvable:
                raise UnresolvableReference(unresolvable.ref) from None
            if error is not None:
                return error
    return None


def schema_problem_of(value, *schemas):
    """What is wrong with ``value`` against ``schemas`` (see ``first_error``), or None."""
    try:
        error = first_error(value, *schemas)
    except UnresolvableReference as unresolvable:
        return str(unresolvable)
    return _describe(error) if error is not None else None


def value_problem(kind, value, extra_schema=None):
    """What is wrong with ``value`` for a socket of JSON ``kind`` (quoting it), or None when nothing is."""
    return schema_problem_of(value, SCHEMAS[SocketKind(kind)], extra_schema)


def _describe(error):
    """The error's message, after where in the value it is (``points[0].point``) when not the top."""
    where = ""
    for part in error.absolute_path:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return f"at {where}: {error.message}" if where else error.message
