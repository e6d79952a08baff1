"""Answers to annotation questions, made from points clicked on a slice in the viewer.

Values follow the platform's annotation schemas (services/core/schemas.py): a point is
``{"type": "Point", "point": [x, y, z]}`` in world coordinates (millimetres), as the viewer
reports a click.
"""

POINT, MULTIPLE_POINTS, BOX = "point", "multiple-points", "2d-bounding-box"
ANNOTATION_KINDS = (POINT, MULTIPLE_POINTS, BOX)
POINT_KINDS = (POINT, MULTIPLE_POINTS)

HINTS = {
    POINT: "Click the point on the slice.",
    MULTIPLE_POINTS: "Click each point on the slice; every click adds one.",
    BOX: "Click two opposite corners of the box on the slice.",
}


def _xyz(position):
    return [round(float(c), 3) for c in position]


def point_answer(position):
    return {"type": "Point", "point": _xyz(position)}


def with_point(answer, position):
    """A multiple-points answer with one point more."""
    points = list(answer["points"]) if answer else []
    return {"type": "Multiple points", "points": [*points, {"point": _xyz(position)}]}


def box_answer(first, second):
    """The rectangle with opposite corners ``first`` and ``second``, in the slice of ``first``."""
    (x0, y0, z), (x1, y1, _) = _xyz(first), _xyz(second)
    corners = [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]
    return {"type": "2D bounding box", "corners": corners}


class ClickCollector:
    """Turns a question's clicks into its answer: the last click for a point, each click added
    for multiple points, every two clicks a box (the first one waits for its opposite corner)."""

    def __init__(self, kind):
        if kind not in ANNOTATION_KINDS:
            raise ValueError(f"{kind!r} is not an annotation question")
        self.kind = kind
        self.pending_corner = None

    def click(self, answer, position):
        """The answer after a click at ``position``, given the answer so far; None while a box
        still waits for its second corner."""
        if self.kind == POINT:
            return point_answer(position)
        if self.kind == MULTIPLE_POINTS:
            return with_point(answer, position)
        if self.pending_corner is None:
            self.pending_corner = position
            return None
        first, self.pending_corner = self.pending_corner, None
        return box_answer(first, position)


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
    if kind == POINT:
        return _coordinates(value["point"])
    if kind == MULTIPLE_POINTS:
        return "; ".join(_coordinates(p["point"]) for p in value["points"]) or "no points"
    if kind == BOX:
        (x0, y0, z), (x1, y1, _) = value["corners"][0], value["corners"][2]
        return f"{_coordinates([x0, y0, z])} to {_coordinates([x1, y1, z])}"
    return str(value)


def _coordinates(point):
    return "(" + ", ".join(f"{c:g}" for c in point) + ")"
