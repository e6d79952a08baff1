"""Where a DICOM image lies, computed from its files' headers as the standard defines it, never
taken from a reader: x and y spacing from Pixel Spacing, the origin from the first slice's Image
Position, the direction from Image Orientation exactly as the file gives it (its third column the
cross product of the two), and the z spacing from the positions of the slices or frames (for one
slice: Spacing Between Slices, else Slice Thickness). Slices are ordered along that normal; two at
one place, or uneven gaps, are refused with a message that names them.
"""

import math
from dataclasses import dataclass
from itertools import pairwise

from .importers import ImportProblem

GAP_TOLERANCE = 0.01  # slices may be 1% further apart or closer than the series' usual gap
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def normal(orientation):
    """The cross product of the row and column directions (not normalised: as the file gives them)."""
    r, c = orientation[:3], orientation[3:6]
    return (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])


def depth(position, n):
    return sum(a * b for a, b in zip(position, n, strict=True))


@dataclass(frozen=True)
class Plane:
    """One slice of the image to be: a file's frame, where it lies (None: not known) and its name."""

    header: object  # dicom.DicomHeader
    frame: int
    position: tuple | None
    shown: str


def planes_of(series):
    """The Planes of ``series`` (the files of a series, or one multi-frame file)."""
    if len(series) > 1:
        return [Plane(h, 0, h.positions[0] if h.positions else None, h.name) for h in series]
    header = series[0]
    known = len(header.positions) == header.frames
    return [
        Plane(header, i, header.positions[i] if known else None, f"frame {i + 1}" if header.frames > 1 else header.name)
        for i in range(header.frames)
    ]


def placed(planes, n, label):
    """``planes`` ordered along the normal ``n``, and the mean gap between them; ImportProblem if two
    lie at one place or the gaps are uneven."""
    planes = sorted(planes, key=lambda p: depth(p.position, n))
    depths = [depth(p.position, n) for p in planes]
    pairs = list(pairwise(planes))
    gaps = [b - a for a, b in pairwise(depths)]
    frames = planes[0].header.frames > 1
    for (a, b), gap in zip(pairs, gaps, strict=True):
        if abs(gap) < 1e-6:
            what = "frames of one position (a 4D or multi-stack file?)" if frames else "the duplicate slice"
            raise ImportProblem(f"{label}: {a.shown} and {b.shown} lie at the same position; remove {what}")
    if len(gaps) >= 2:
        usual = sorted(gaps)[len(gaps) // 2]
        for (a, b), gap in zip(pairs, gaps, strict=True):
            if abs(gap - usual) > GAP_TOLERANCE * usual + 1e-3:
                what = (
                    "gc-hub imports multi-frame files whose frames are evenly spaced"
                    if frames
                    else "a slice is missing"
                )
                raise ImportProblem(
                    f"{label}: {'frames' if frames else 'slices'} are {usual:g} mm apart but {gap:g} mm between "
                    f"{a.shown} and {b.shown}; {what}"
                )
    return planes, (depths[-1] - depths[0]) / (len(depths) - 1) if len(depths) > 1 else None


@dataclass(frozen=True)
class Geometry:
    """Where an image lies: its Planes in order along the normal, and its spacing, origin and direction."""

    planes: list
    spacing: tuple
    origin: tuple
    direction: tuple


def geometry(series, label):
    """Where the image of ``series`` lies: its planes in order, spacing, origin and direction."""
    first = series[0]
    orientation = first.orientation or IDENTITY
    n = normal(orientation)
    if math.sqrt(sum(v * v for v in n)) < 1e-6:
        raise ImportProblem(
            f"{label}: its Image Orientation (Patient) {orientation} does not give two directions; "
            "the image cannot be placed"
        )
    planes = planes_of(series)
    gap = None
    if all(p.position for p in planes):
        planes, gap = placed(planes, n, label)
    elif len(series) > 1:
        planes.sort(key=lambda p: (p.header.instance, p.header.name))
    origin = planes[0].position or (first.positions[0] if first.positions else (0.0, 0.0, 0.0))
    r, c = orientation[:3], orientation[3:6]
    direction = (r[0], c[0], n[0], r[1], c[1], n[1], r[2], c[2], n[2])
    spacing = (*first.pixel_spacing, gap or first.slice_spacing or 1.0)
    return Geometry(planes, spacing, tuple(origin), direction)
