"""The kinds of reader-study questions and the JSON shape of each kind's answer.

The kinds are grand-challenge's answer types (its ``AnswerType``, whose four-letter code each
kind names in ``GRAND_CHALLENGE_CODES``) under gc-hub's names, and the answers take its shapes
exactly, so that an answer exported from gc-hub validates on grand-challenge and one of its
answers validates here: coordinates are world coordinates in millimetres ``[x, y, z]``, and
every annotation carries ``"version": {"major": 1, "minor": 0}`` (added when a client leaves
it out) and may carry a ``name`` and a ``probability``. Two differences: a number question is
``integer`` or ``float`` (grand-challenge has one ``NUMB``; a whole number is a number there
too), and its ``MASK`` (an uploaded image as the answer) is not offered.

- ``heading``: asks nothing; it titles the questions after it and takes no answer.
- ``choice``: the id of one of the question's options; ``multiple-choice``: a list of them.
- ``point``: ``{"type": "Point", "point": [x, y, z]}``; ``multiple-points``: ``{"type":
  "Multiple points", "points": [{"point": [x, y, z]}, ...]}``.
- ``2d-bounding-box``: ``{"type": "2D bounding box", "corners": [4 x [x, y, z]]}``;
  ``multiple-2d-bounding-boxes``: ``{"type": "Multiple 2D bounding boxes", "boxes": [{"corners"}, ...]}``.
- ``distance``: ``{"type": "Distance measurement", "start": [x, y, z], "end": [x, y, z]}``;
  ``multiple-distances``: ``{"type": "Multiple distance measurements", "lines": [{"start", "end"}, ...]}``.
- ``polygon``: ``{"type": "Polygon", "seed_point": [x, y, z], "path_points": [[x, y, z], ...],
  "sub_type": "", "groups": []}``; ``multiple-polygons``: ``{"type": "Multiple polygons", "polygons": [...]}``.
- ``line``: ``{"type": "Line", "seed_points": [...], "path_point_lists": [[[x, y, z], ...], ...]}``;
  ``multiple-lines``: ``{"type": "Multiple lines", "lines": [...]}``.
- ``angle``: ``{"type": "Angle", "lines": [2 x [2 x [x, y, z]]]}``; ``multiple-angles``:
  ``{"type": "Multiple angles", "angles": [{"lines"}, ...]}``.
- ``three-point-angle``: ``{"type": "Three-point angle", "angle": [3 x [x, y, z]]}`` (the vertex
  in the middle); ``multiple-three-point-angles``: ``{"type": "Multiple three-point angles", "angles": [...]}``.
- ``ellipse``: ``{"type": "Ellipse", "major_axis": [2 x [x, y, z]], "minor_axis": [2 x [x, y, z]]}``;
  ``multiple-ellipses``: ``{"type": "Multiple ellipses", "ellipses": [...]}``.
"""

from enum import StrEnum


class AnswerKind(StrEnum):
    """What a question asks for (grand-challenge's answer types, by gc-hub's names)."""

    HEADING = "heading"
    BOOL = "bool"
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    CHOICE = "choice"
    MULTIPLE_CHOICE = "multiple-choice"
    POINT = "point"
    MULTIPLE_POINTS = "multiple-points"
    BOUNDING_BOX_2D = "2d-bounding-box"
    MULTIPLE_BOUNDING_BOXES_2D = "multiple-2d-bounding-boxes"
    DISTANCE = "distance"
    MULTIPLE_DISTANCES = "multiple-distances"
    POLYGON = "polygon"
    MULTIPLE_POLYGONS = "multiple-polygons"
    LINE = "line"
    MULTIPLE_LINES = "multiple-lines"
    ANGLE = "angle"
    MULTIPLE_ANGLES = "multiple-angles"
    THREE_POINT_ANGLE = "three-point-angle"
    MULTIPLE_THREE_POINT_ANGLES = "multiple-three-point-angles"
    ELLIPSE = "ellipse"
    MULTIPLE_ELLIPSES = "multiple-ellipses"

    @property
    def is_annotation(self):
        """Drawn on an image (it belongs to a viewport)."""
        return self in ANNOTATION_SHAPES

    @property
    def is_multiple_annotation(self):
        """Several drawn shapes in one answer (these alone take the accept/reject widget)."""
        return self in MULTIPLE_ANNOTATIONS

    @property
    def grand_challenge_code(self):
        return GRAND_CHALLENGE_CODES[self]

    @property
    def empty_value(self):
        """The answer that says "nothing" (grand-challenge's): "" for text, [] for several
        choices, else null."""
        return "" if self == AnswerKind.STRING else [] if self == AnswerKind.MULTIPLE_CHOICE else None


GRAND_CHALLENGE_CODES = {
    AnswerKind.HEADING: "HEAD",
    AnswerKind.BOOL: "BOOL",
    AnswerKind.STRING: "TEXT",
    AnswerKind.INTEGER: "NUMB",
    AnswerKind.FLOAT: "NUMB",
    AnswerKind.CHOICE: "CHOI",
    AnswerKind.MULTIPLE_CHOICE: "MCHO",
    AnswerKind.POINT: "POIN",
    AnswerKind.MULTIPLE_POINTS: "MPOI",
    AnswerKind.BOUNDING_BOX_2D: "2DBB",
    AnswerKind.MULTIPLE_BOUNDING_BOXES_2D: "M2DB",
    AnswerKind.DISTANCE: "DIST",
    AnswerKind.MULTIPLE_DISTANCES: "MDIS",
    AnswerKind.POLYGON: "POLY",
    AnswerKind.MULTIPLE_POLYGONS: "MPOL",
    AnswerKind.LINE: "LINE",
    AnswerKind.MULTIPLE_LINES: "MLIN",
    AnswerKind.ANGLE: "ANGL",
    AnswerKind.MULTIPLE_ANGLES: "MANG",
    AnswerKind.THREE_POINT_ANGLE: "3ANG",
    AnswerKind.MULTIPLE_THREE_POINT_ANGLES: "M3AN",
    AnswerKind.ELLIPSE: "ELLI",
    AnswerKind.MULTIPLE_ELLIPSES: "MELL",
}

# What the editors' pages call each kind.
TITLES = {
    AnswerKind.HEADING: "heading (asks nothing)",
    AnswerKind.BOOL: "yes / no",
    AnswerKind.STRING: "text",
    AnswerKind.INTEGER: "whole number",
    AnswerKind.FLOAT: "decimal number",
    AnswerKind.CHOICE: "one of several choices",
    AnswerKind.MULTIPLE_CHOICE: "several of several choices",
    AnswerKind.POINT: "point (annotation)",
    AnswerKind.MULTIPLE_POINTS: "multiple points (annotation)",
    AnswerKind.BOUNDING_BOX_2D: "2D bounding box (annotation)",
    AnswerKind.MULTIPLE_BOUNDING_BOXES_2D: "multiple 2D bounding boxes (annotation)",
    AnswerKind.DISTANCE: "distance (annotation)",
    AnswerKind.MULTIPLE_DISTANCES: "multiple distances (annotation)",
    AnswerKind.POLYGON: "polygon (annotation)",
    AnswerKind.MULTIPLE_POLYGONS: "multiple polygons (annotation)",
    AnswerKind.LINE: "line (annotation)",
    AnswerKind.MULTIPLE_LINES: "multiple lines (annotation)",
    AnswerKind.ANGLE: "angle between two lines (annotation)",
    AnswerKind.MULTIPLE_ANGLES: "multiple angles between two lines (annotation)",
    AnswerKind.THREE_POINT_ANGLE: "three-point angle (annotation)",
    AnswerKind.MULTIPLE_THREE_POINT_ANGLES: "multiple three-point angles (annotation)",
    AnswerKind.ELLIPSE: "ellipse (annotation)",
    AnswerKind.MULTIPLE_ELLIPSES: "multiple ellipses (annotation)",
}

VERSION = {"major": 1, "minor": 0}

_XYZ = {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}


def _xyz_list(size=None):
    schema = {"type": "array", "items": _XYZ}
    return {**schema, "minItems": size, "maxItems": size} if size else schema


_VERSION_SCHEMA = {
    "type": "object",
    "properties": {
        "major": {"type": "integer", "minimum": 0},
        "minor": {"type": "integer", "minimum": 0},
    },
    "required": ["major", "minor"],
    "additionalProperties": False,
}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}

# One shape's own fields (an answer of one shape, or an item of several), by its "type".
_SHAPE_FIELDS = {
    "Point": {"point": _XYZ},
    "2D bounding box": {"corners": _xyz_list(4)},
    "Distance measurement": {"start": _XYZ, "end": _XYZ},
    "Polygon": {
        "seed_point": _XYZ,
        "path_points": _xyz_list(),
        "sub_type": {"type": "string"},
        "groups": {"type": "array", "items": {"type": "string"}},
    },
    "Line": {"seed_points": _xyz_list(), "path_point_lists": {"type": "array", "items": _xyz_list()}},
    "Angle": {"lines": {"type": "array", "items": _xyz_list(2), "minItems": 2, "maxItems": 2}},
    "Three-point angle": {"angle": _xyz_list(3)},
    "Ellipse": {"major_axis": _xyz_list(2), "minor_axis": _xyz_list(2)},
}


def _item(type_name):
    """One shape inside an answer of several: its fields, an optional name, type and probability."""
    fields = _SHAPE_FIELDS[type_name]
    return {
        "type": "object",
        "properties": {"name": {"type": "string"}, "type": {"const": type_name}, "probability": _PROBABILITY, **fields},
        "required": list(fields),
        "additionalProperties": False,
    }


def _annotation(type_name, fields, probability=True):
    """An answer that is an annotation: its ``type``, ``version``, fields, an optional name."""
    extra = {"probability": _PROBABILITY} if probability else {}
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "type": {"const": type_name},
            "version": _VERSION_SCHEMA,
            **extra,
            **fields,
        },  # fmt: skip
        "required": ["version", "type", *fields],
        "additionalProperties": False,
    }


def _single(type_name):
    return _annotation(type_name, _SHAPE_FIELDS[type_name])


def _several(type_name, key, item_type):
    return _annotation(type_name, {key: {"type": "array", "items": _item(item_type)}}, probability=False)


ANNOTATION_SHAPES = {
    AnswerKind.POINT: _single("Point"),
    AnswerKind.MULTIPLE_POINTS: _several("Multiple points", "points", "Point"),
    AnswerKind.BOUNDING_BOX_2D: _single("2D bounding box"),
    AnswerKind.MULTIPLE_BOUNDING_BOXES_2D: _several("Multiple 2D bounding boxes", "boxes", "2D bounding box"),
    AnswerKind.DISTANCE: _single("Distance measurement"),
    AnswerKind.MULTIPLE_DISTANCES: _several("Multiple distance measurements", "lines", "Distance measurement"),
    AnswerKind.POLYGON: _single("Polygon"),
    AnswerKind.MULTIPLE_POLYGONS: _several("Multiple polygons", "polygons", "Polygon"),
    AnswerKind.LINE: _single("Line"),
    AnswerKind.MULTIPLE_LINES: _several("Multiple lines", "lines", "Line"),
    AnswerKind.ANGLE: _single("Angle"),
    AnswerKind.MULTIPLE_ANGLES: _several("Multiple angles", "angles", "Angle"),
    AnswerKind.THREE_POINT_ANGLE: _single("Three-point angle"),
    AnswerKind.MULTIPLE_THREE_POINT_ANGLES: _several("Multiple three-point angles", "angles", "Three-point angle"),
    AnswerKind.ELLIPSE: _single("Ellipse"),
    AnswerKind.MULTIPLE_ELLIPSES: _several("Multiple ellipses", "ellipses", "Ellipse"),
}
MULTIPLE_ANNOTATIONS = frozenset(kind for kind in ANNOTATION_SHAPES if kind.value.startswith("multiple-"))

_OPTION_ID = {"type": "integer", "minimum": 1}

# The schema of each kind's answer (a heading takes none; an empty answer is checked apart).
ANSWER_SCHEMAS = {
    AnswerKind.BOOL: {"type": "boolean"},
    AnswerKind.STRING: {"type": "string"},
    AnswerKind.INTEGER: {"type": "integer"},
    AnswerKind.FLOAT: {"type": "number"},
    AnswerKind.CHOICE: _OPTION_ID,
    AnswerKind.MULTIPLE_CHOICE: {"type": "array", "items": _OPTION_ID, "uniqueItems": True},
    **ANNOTATION_SHAPES,
}


def with_version(kind, value):
    """``value`` with grand-challenge's ``version`` when it is an annotation object without one
    (clients written before gc-hub kept it leave it out); anything else unchanged."""
    if AnswerKind(kind).is_annotation and isinstance(value, dict) and "version" not in value:
        return {**value, "version": dict(VERSION)}
    return value
