"""Answers to annotation questions, made from points clicked on a slice in the viewer, and the
outlines that draw an answer back on the slice.

Answers take grand-challenge's shapes (services/core/answer_types.py), version included, in
world coordinates (millimetres) as the viewer reports a click. A shape is made of a fixed number
of clicks (two for a distance, three for a three-point angle, ...), or, for a line or a polygon,
of as many clicks as the reader gives before *Finish*. A "multiple" kind adds each finished
shape to the answer; a single kind replaces its shape.
"""

import math
from dataclasses import dataclass

VERSION = {"major": 1, "minor": 0}


@dataclass(frozen=True)
class Tool:
    """How clicks make one shape of a kind: grand-challenge's ``shape`` type, the instruction for
    each click (``steps``; one step repeated until *Finish* for a path), and for a path the
    fewest points it takes."""

    shape: str
    steps: tuple[str, ...]
    path_minimum: int = 0

    @property
    def is_path(self):
        return self.path_minimum > 0


TOOLS = {
    "point": Tool("Point", ("Click the point on the slice.",)),
    "2d-bounding-box": Tool("2D bounding box", ("Click one corner of the box.", "Click the opposite corner.")),
    "distance": Tool("Distance measurement", ("Click one end of the distance.", "Click the other end.")),
    "polygon": Tool("Polygon", ("Click each corner of the polygon, then press Finish.",), path_minimum=3),
    "line": Tool("Line", ("Click each point along the line, then press Finish.",), path_minimum=2),
    "angle": Tool(
        "Angle",
        (
            "Click one end of the first line.",
            "Click the other end of the first line.",
            "Click one end of the second line.",
            "Click the other end of the second line.",
        ),
    ),
    "three-point-angle": Tool(
        "Three-point angle", ("Click one end of the angle.", "Click its vertex.", "Click its other end.")
    ),
    "ellipse": Tool(
        "Ellipse",
        (
            "Click one end of the ellipse's long axis.",
            "Click the other end of the long axis.",
            "Click a point on the ellipse's edge, across the long axis.",
        ),
    ),
}

# Each "multiple" kind: the kind of its shapes, the answer's type and the key of its list of shapes.
SEVERAL = {
    "multiple-points": ("point", "Multiple points", "points"),
    "multiple-2d-bounding-boxes": ("2d-bounding-box", "Multiple 2D bounding boxes", "boxes"),
    "multiple-distances": ("distance", "Multiple distance measurements", "lines"),
    "multiple-polygons": ("polygon", "Multiple polygons", "polygons"),
    "multiple-lines": ("line", "Multiple lines", "lines"),
    "multiple-angles": ("angle", "Multiple angles", "angles"),
    "multiple-three-point-angles": ("three-point-angle", "Multiple three-point angles", "angles"),
    "multiple-ellipses": ("ellipse", "Multiple ellipses", "ellipses"),
}
ANNOTATION_KINDS = (*TOOLS, *SEVERAL)


def tool_of(kind):
    return TOOLS[SEVERAL[kind][0] if kind in SEVERAL else kind]


def hint(kind, clicks_taken=0):
    """What the reader does next for a ``kind`` question, with ``clicks_taken`` clicks of a shape."""
    tool = tool_of(kind)
    step = tool.steps[min(clicks_taken, len(tool.steps) - 1)]
    if tool.is_path and clicks_taken:
        step = f"{clicks_taken} point{'s' if clicks_taken > 1 else ''} so far. {step}"
    return f"{step} Each shape you finish is added to the answer." if kind in SEVERAL else step


def _xyz(position):
    return [round(float(c), 3) for c in position]


def shape_fields(shape, clicks):
    """One shape's own fields (grand-challenge's) from its clicks, in world coordinates."""
    points = [_xyz(p) for p in clicks]
    if shape == "Point":
        return {"point": points[0]}
    if shape == "2D bounding box":
        return {"corners": box_corners(*points)}
    if shape == "Distance measurement":
        return {"start": points[0], "end": points[1]}
    if shape == "Polygon":
        return {"seed_point": points[0], "path_points": points, "sub_type": "", "groups": []}
    if shape == "Line":
        return {"seed_points": points, "path_point_lists": [points[i : i + 2] for i in range(len(points) - 1)]}
    if shape == "Angle":
        return {"lines": [points[0:2], points[2:4]]}
    if shape == "Three-point angle":
        return {"angle": points}
    if shape == "Ellipse":
        return ellipse_axes(*points)
    raise ValueError(f"no shape {shape!r}")


def box_corners(first, second):
    """The rectangle with opposite corners ``first`` and ``second`` in the slice of ``first``: the
    slice's axis is the one along which the two clicks differ least."""
    normal = min(range(3), key=lambda axis: abs(first[axis] - second[axis]))
    across, along = (axis for axis in range(3) if axis != normal)

    def corner(a, b):
        point = list(first)
        point[across], point[along] = a[across], b[along]
        return point

    return [corner(first, first), corner(second, first), corner(second, second), corner(first, second)]


def ellipse_axes(start, end, edge):
    """The ellipse whose long axis runs from ``start`` to ``end`` and whose edge passes ``edge``
    across it: the short axis is perpendicular to the long one, through its centre."""
    centre = [(a + b) / 2 for a, b in zip(start, end, strict=True)]
    axis = [b - a for a, b in zip(start, end, strict=True)]
    length = math.sqrt(sum(c * c for c in axis)) or 1.0
    unit = [c / length for c in axis]
    offset = [e - c for e, c in zip(edge, centre, strict=True)]
    along = sum(o * u for o, u in zip(offset, unit, strict=True))
    half = [o - along * u for o, u in zip(offset, unit, strict=True)]  # the part across the long axis
    minor = [
        _xyz([c - h for c, h in zip(centre, half, strict=True)]),
        _xyz([c + h for c, h in zip(centre, half, strict=True)]),
    ]
    return {"major_axis": [start, end], "minor_axis": minor}


class ClickCollector:
    """Turns a question's clicks into its answer. ``pending`` holds the clicks of the shape being
    made; ``click`` returns the new answer once a shape is complete (None while it is not), and
    ``finish`` completes a line or polygon."""

    def __init__(self, kind):
        if kind not in ANNOTATION_KINDS:
            raise ValueError(f"{kind!r} is not an annotation question")
        self.kind, self.tool = kind, tool_of(kind)
        self.pending = []

    def click(self, answer, position):
        """The answer after a click at ``position``, given the answer so far (None while the
        shape waits for more clicks)."""
        self.pending.append(list(position))
        if self.tool.is_path or len(self.pending) < len(self.tool.steps):
            return None
        return self._complete(answer)

    def finish(self, answer):
        """The answer with the line or polygon clicked so far; ValueError saying what is missing."""
        missing = self.tool.path_minimum - len(self.pending)
        if missing > 0:
            what = "a polygon" if self.tool.shape == "Polygon" else "a line"
            raise ValueError(f"To finish {what}, click {missing} more point{'s' if missing > 1 else ''} on the slice.")
        return self._complete(answer)

    def cancel(self):
        self.pending = []

    def _complete(self, answer):
        fields = shape_fields(self.tool.shape, self.pending)
        self.pending = []
        if self.kind not in SEVERAL:
            return {"type": self.tool.shape, "version": VERSION, **fields}
        _, answer_type, key = SEVERAL[self.kind]
        shapes = list(answer[key]) if answer else []
        return {"type": answer_type, "version": VERSION, key: [*shapes, fields]}


def shapes_of(kind, value):
    """The shapes' fields of an answer (a list, one item for a single kind; [] for None)."""
    if not value:
        return []
    return list(value[SEVERAL[kind][2]]) if kind in SEVERAL else [value]


def outlines(kind, value):
    """The paths that draw an answer's shapes on the slice: lists of points, joined in order (a
    closed shape repeats its first point; a point has none)."""
    shape = tool_of(kind).shape
    return [path for fields in shapes_of(kind, value) for path in shape_outlines(shape, fields)]


def shape_outlines(shape, fields):
    if shape == "Point":
        return []
    if shape == "2D bounding box":
        return [[*fields["corners"], fields["corners"][0]]]
    if shape == "Distance measurement":
        return [[fields["start"], fields["end"]]]
    if shape == "Polygon":
        return [[*fields["path_points"], fields["path_points"][0]]]
    if shape == "Line":
        return [fields["seed_points"]]
    if shape == "Angle":
        return [list(line) for line in fields["lines"]]
    if shape == "Three-point angle":
        return [list(fields["angle"])]
    return [ellipse_outline(fields)]


def handles(kind, value):
    """The points that make an answer's shapes (where the reader clicked), to mark with dots."""
    shape = tool_of(kind).shape
    return [point for fields in shapes_of(kind, value) for point in shape_handles(shape, fields)]


def shape_handles(shape, fields):
    if shape == "Point":
        return [fields["point"]]
    if shape == "2D bounding box":
        return list(fields["corners"])
    if shape == "Distance measurement":
        return [fields["start"], fields["end"]]
    if shape == "Polygon":
        return list(fields["path_points"])
    if shape == "Line":
        return list(fields["seed_points"])
    if shape == "Angle":
        return [point for line in fields["lines"] for point in line]
    if shape == "Three-point angle":
        return list(fields["angle"])
    return [*fields["major_axis"], *fields["minor_axis"]]


def ellipse_outline(fields, segments=48):
    (a, b), (c, d) = fields["major_axis"], fields["minor_axis"]
    centre = [(p + q) / 2 for p, q in zip(a, b, strict=True)]
    major = [(q - p) / 2 for p, q in zip(a, b, strict=True)]
    minor = [(q - p) / 2 for p, q in zip(c, d, strict=True)]
    return [
        [o + math.cos(t) * u + math.sin(t) * v for o, u, v in zip(centre, major, minor, strict=True)]
        for t in (2 * math.pi * i / segments for i in range(segments + 1))
    ]


def distance(p, q):
    return math.dist(p, q)


def angle_degrees(u, v):
    """The angle between directions ``u`` and ``v``, in degrees (0 when either is no direction)."""
    lengths = math.hypot(*u) * math.hypot(*v)
    if not lengths:
        return 0.0
    cosine = sum(a * b for a, b in zip(u, v, strict=True)) / lengths
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _direction(p, q):
    return [b - a for a, b in zip(p, q, strict=True)]


def describe_shape(shape, fields):
    """One shape as a reader reads it: where it is, or what it measures."""
    if shape == "Point":
        return _coordinates(fields["point"])
    if shape == "2D bounding box":
        return f"{_coordinates(fields['corners'][0])} to {_coordinates(fields['corners'][2])}"
    if shape == "Distance measurement":
        return f"{distance(fields['start'], fields['end']):.1f} mm"
    if shape == "Polygon":
        return f"polygon of {len(fields['path_points'])} points"
    if shape == "Line":
        points = fields["seed_points"]
        return f"line of {len(points)} points, {sum(map(distance, points, points[1:])):.1f} mm long"
    if shape == "Angle":
        (a, b), (c, d) = fields["lines"]
        return f"{angle_degrees(_direction(a, b), _direction(c, d)):.1f}°"
    if shape == "Three-point angle":
        a, vertex, b = fields["angle"]
        return f"{angle_degrees(_direction(vertex, a), _direction(vertex, b)):.1f}°"
    (a, b), (c, d) = fields["major_axis"], fields["minor_axis"]
    return f"ellipse {distance(a, b):.1f} × {distance(c, d):.1f} mm"


def describe(question, value):
    """A short text of an answer to ``question`` (as the API gives it), as a reader reads it."""
    kind = question["kind"]
    if value is None:
        return "not answered"
    if kind == "bool":
        return "yes" if value else "no"
    if kind in ("choice", "multiple-choice"):
        titles = {choice["id"]: choice["title"] for choice in question["choices"]}
        if kind == "choice":
            return titles.get(value, str(value))
        return ", ".join(titles.get(i, str(i)) for i in value) or "none"
    if kind in ANNOTATION_KINDS:
        shape = tool_of(kind).shape
        return "; ".join(describe_shape(shape, fields) for fields in shapes_of(kind, value)) or "none drawn"
    return str(value)


def _coordinates(point):
    return "(" + ", ".join(f"{c:g}" for c in point) + ")"
