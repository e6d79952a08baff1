"""DICOM: files grouped into series, slices ordered by position, and each series read as one image.

Every file's header is read first (no pixel data); a series is checked as a whole (one slice size,
one orientation, no two slices at one place, even gaps) before its voxels are read. A multi-frame
file is a series of its own.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import SimpleITK as sitk

from .importers import ImportProblem, Loaded, check_header, dims, errors_as_data, itk_reason

SERIES_UID, POSITION, ORIENTATION = "0020|000e", "0020|0032", "0020|0037"
FRAMES, INSTANCE, MODALITY = "0028|0008", "0020|0013", "0008|0060"
WINDOW_CENTER, WINDOW_WIDTH, DESCRIPTION = "0028|1050", "0028|1051", "0008|103e"
GAP_TOLERANCE = 0.01  # slices may be 1% further apart or closer than the series' usual gap


@dataclass(frozen=True)
class DicomHeader:
    """What the grouping needs of one DICOM file, read from its header alone."""

    path: str
    name: str
    series_uid: str
    columns: int
    rows: int
    frames: int
    components: int
    position: tuple | None
    orientation: tuple | None
    instance: int
    tags: dict


def numbers(text):
    """``"1\\0\\0"`` → (1.0, 0.0, 0.0); empty or bad text → None."""
    try:
        values = tuple(float(v) for v in text.split("\\") if v.strip())
    except ValueError:
        return None
    return values or None


def read_header(*, path, name):
    """The DicomHeader of the file at ``path``, or ImportProblem if it is not DICOM."""
    reader = sitk.ImageFileReader()
    reader.SetImageIO("GDCMImageIO")
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as error:
        raise ImportProblem(f"{name} is not a DICOM file GDCM can read ({itk_reason(error)})") from None

    def tag(key, default=""):
        return reader.GetMetaData(key).strip() if reader.HasMetaDataKey(key) else default

    size = reader.GetSize()
    instance = numbers(tag(INSTANCE))
    return DicomHeader(
        path=str(path),
        name=name,
        series_uid=tag(SERIES_UID) or f"(no series UID: {name})",
        columns=size[0],
        rows=size[1],
        frames=int(float(tag(FRAMES) or 1)),
        components=reader.GetNumberOfComponents(),
        position=numbers(tag(POSITION)),
        orientation=numbers(tag(ORIENTATION)),
        instance=int(instance[0]) if instance else 0,
        tags={key: tag(key) for key in (MODALITY, WINDOW_CENTER, WINDOW_WIDTH, DESCRIPTION)},
    )


def group_series(headers):
    """Lists of headers that make one image each: the files of a series, a multi-frame file alone."""
    groups = defaultdict(list)
    for header in headers:
        key = (header.series_uid, header.path) if header.frames > 1 else (header.series_uid,)
        groups[key].append(header)
    return list(groups.values())


def normal(orientation):
    r, c = orientation[:3], orientation[3:6]
    return (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])


def ordered(series):
    """The slices of ``series`` along the normal of their planes (instance number without positions)."""
    first = series[0]
    if all(h.position and len(h.position) == 3 for h in series) and first.orientation and len(first.orientation) == 6:
        n = normal(first.orientation)
        return sorted(series, key=lambda h: sum(a * b for a, b in zip(h.position, n, strict=True))), n
    return sorted(series, key=lambda h: (h.instance, h.name)), None


def check_series(series, n, label):
    """ImportProblem if the slices of ``series`` cannot stack into one volume."""
    sizes = sorted({(h.columns, h.rows) for h in series})
    if len(sizes) > 1:
        shown = " and ".join(dims(s) for s in sizes[:3])
        raise ImportProblem(
            f"{label} has slices of {len(sizes)} different sizes ({shown}); upload each size as its own series"
        )
    orientations = {tuple(round(v, 4) for v in h.orientation) for h in series if h.orientation}
    if len(orientations) > 1:
        raise ImportProblem(
            f"{label} has slices in {len(orientations)} different orientations; it cannot stack into one volume"
        )
    if n is None or len(series) < 3:
        return
    depths = [sum(a * b for a, b in zip(h.position, n, strict=True)) for h in series]
    gaps = [b - a for a, b in pairwise(depths)]
    for (a, b), gap in zip(pairwise(series), gaps, strict=True):
        if abs(gap) < 1e-6:
            raise ImportProblem(f"{label}: {a.name} and {b.name} lie at the same position; remove the duplicate slice")
    usual = sorted(gaps)[len(gaps) // 2]
    for (a, b), gap in zip(pairwise(series), gaps, strict=True):
        if abs(gap - usual) > GAP_TOLERANCE * usual + 1e-3:
            raise ImportProblem(
                f"{label}: slices are {usual:g} mm apart but {gap:g} mm between {a.name} and {b.name}; "
                "a slice is missing"
            )


def first_number(text):
    values = numbers(text)
    return values[0] if values else None


@errors_as_data
def import_series(*, series, limits):
    """One image of the DICOM files in ``series`` (DicomHeaders of one series, or one multi-frame
    file), slices ordered by position, with window and modality of its first slice."""
    slices, n = ordered(series)
    first = slices[0]
    label = f"DICOM series {first.tags[DESCRIPTION] or first.series_uid} ({len(slices)} files)"
    if len(slices) == 1 and first.frames == 1:
        label = first.name
    check_series(slices, n, label)
    depth = first.frames if len(slices) == 1 else len(slices)
    size = (first.columns, first.rows, depth) if depth > 1 else (first.columns, first.rows)
    check_header(size, first.components, (1,) * len(size), name=label, title="DICOM", limits=limits)
    if len(slices) == 1:
        reader = sitk.ImageFileReader()
        reader.SetFileName(first.path)
    else:
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames([h.path for h in slices])
    reader.SetImageIO("GDCMImageIO")
    image = reader.Execute()
    if image.GetDimension() == 3 and image.GetDepth() == 1:  # GDCM reads a single slice as 3D
        image = image[:, :, 0]
    return Loaded(
        image,
        window_center=first_number(first.tags[WINDOW_CENTER]),
        window_width=first_number(first.tags[WINDOW_WIDTH]),
        modality=first.tags[MODALITY] or None,
    )
