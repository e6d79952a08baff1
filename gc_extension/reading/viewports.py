"""Where a case's images are shown: the viewports of a hanging protocol laid out on a grid, or,
without one, one viewport per image side by side.

A protocol's viewport (grand-challenge's shape) has a cell ``x``, ``y`` and a size ``w``, ``h`` on
the grid, an ``orientation`` and a ``label``. A study's ``view_content`` names the sockets each
viewport shows; without it the case's images go to the viewports in order, ``main`` first.
"""

from dataclasses import dataclass

# The itkwidgets view mode of each orientation: the axis the slice is taken across.
MODES = {"axial": "z", "coronal": "y", "sagittal": "x"}
DEFAULT_ORIENTATION = "axial"


@dataclass(frozen=True)
class Viewport:
    """One cell (or block of cells) of the grid and the sockets shown in it."""

    name: str
    label: str
    orientation: str
    x: int
    y: int
    w: int = 1
    h: int = 1
    sockets: tuple[str, ...] = ()

    @property
    def mode(self):
        return MODES[self.orientation]

    @property
    def grid_area(self):
        """The CSS ``grid-area`` of the viewport: row start / column start / row end / column end."""
        return f"{self.y + 1} / {self.x + 1} / {self.y + self.h + 1} / {self.x + self.w + 1}"


def grid_size(viewports):
    """(columns, rows) of the grid the viewports fill."""
    return max(v.x + v.w for v in viewports), max(v.y + v.h for v in viewports)


def side_by_side(sockets, orientation=None):
    """One viewport per image socket, in a row, in ``orientation`` (axial when none is given)."""
    orientation = orientation or DEFAULT_ORIENTATION
    return [Viewport(s, s, orientation, x=column, y=0, sockets=(s,)) for column, s in enumerate(sockets)]


def hang(layout, view_content, images, overlays=()):
    """The viewports of the protocol ``layout`` with the case's sockets placed in them: by
    ``view_content`` (viewport name → socket slugs, ``images`` and ``overlays`` among them) when it
    names any, else ``images`` one a viewport in order. Viewports drawn over another one
    (``parent_id``) are left out: see ``drawn_over``."""
    cells = [v for v in layout if "parent_id" not in v]
    cells.sort(key=lambda v: v["viewport_name"] != "main")  # stable: the others keep their order
    if view_content:
        known = {*images, *overlays}
        shown = [tuple(s for s in view_content.get(v["viewport_name"], ()) if s in known) for v in cells]
    else:
        shown = [tuple(images[i : i + 1]) for i in range(len(cells))]
    return [
        Viewport(
            name=v["viewport_name"],
            label=v.get("label") or v["viewport_name"],
            orientation=v.get("orientation", DEFAULT_ORIENTATION),
            x=v.get("x", index),
            y=v.get("y", 0),
            w=v.get("w", 1),
            h=v.get("h", 1),
            sockets=content,
        )
        for index, (v, content) in enumerate(zip(cells, shown, strict=True))
    ]


def drawn_over(layout):
    """The names of the protocol's viewports drawn over another one, which this viewer cannot do."""
    return [v["viewport_name"] for v in layout if "parent_id" in v]
