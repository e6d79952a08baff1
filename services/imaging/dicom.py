"""DICOM: files grouped into series, slices ordered by position, and each series read as one 3D image.

Every file's header is read first, with pydicom and without its pixel data. A file without pixels is
named for what it is (an RT plan, a structured report: ``dicom_kinds``). A series is checked as a
whole (one slice size, one orientation, no two slices at one place, even gaps) before its voxels are
read. A multi-frame file is a series of its own, its frames placed by their own positions; the
slices of a series in several orientations (a localiser) make one image per orientation.

Every image is 3D, a single slice too, placed by the geometry its headers give (``dicom_geometry``),
never by a reader's. Voxels are read by GDCM, and by pydicom's pixel handlers where GDCM cannot
(``dicom_pixels``).
"""

import math
from collections import defaultdict
from dataclasses import dataclass

import pydicom
import SimpleITK as sitk
from pydicom import config
from pydicom.errors import InvalidDicomError

from . import dicom_pixels
from .dicom_geometry import IDENTITY, geometry, normal
from .dicom_kinds import kind, no_image_message
from .importers import ImportProblem, Loaded, check_header, dims, errors_as_data, itk_reason

config.settings.reading_validation_mode = config.IGNORE  # odd values are read as they are, not refused
DEFER_BYTES = 4096  # values longer than this (pixel data) are not read with the header
PIXEL_DATA = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
COMMON_KEYS = ("SOPClassUID", "SpecificCharacterSet", "Modality", "StudyInstanceUID", "SeriesInstanceUID", "Rows")
COMMON_KEYS += PIXEL_DATA
# Where an enhanced (multi-frame) file keeps an attribute that older files hold at the top level.
MACROS = {
    "PixelSpacing": "PixelMeasuresSequence",
    "SliceThickness": "PixelMeasuresSequence",
    "SpacingBetweenSlices": "PixelMeasuresSequence",
    "ImageOrientationPatient": "PlaneOrientationSequence",
    "ImagePositionPatient": "PlanePositionSequence",
    "WindowCenter": "FrameVOILUTSequence",
    "WindowWidth": "FrameVOILUTSequence",
    "RescaleSlope": "PixelValueTransformationSequence",
    "RescaleIntercept": "PixelValueTransformationSequence",
}


@dataclass(frozen=True)
class DicomHeader:
    """What the grouping and the geometry need of one DICOM file, read from its header alone."""

    path: str
    name: str
    series_uid: str
    columns: int
    rows: int
    frames: int
    components: int
    orientation: tuple | None  # row and column direction cosines, as the file gives them
    positions: tuple  # one (x, y, z) per frame, or only the first frame's, or none
    pixel_spacing: tuple  # (x, y): between columns, between rows
    slice_spacing: float | None  # Spacing Between Slices, else Slice Thickness
    instance: int
    modality: str | None = None
    description: str | None = None
    window_center: float | None = None
    window_width: float | None = None
    rescale_slope: float | None = None
    rescale_intercept: float | None = None
    note: str = ""  # how the file was read, when that is worth saying (no file meta header)


class BadValue(Exception):
    """An attribute the geometry needs holds something other than numbers."""


def numbers(value, keyword=""):
    """The numbers of a DS/IS value (one or several) as floats; None if absent or empty; BadValue
    if they are not numbers."""
    if value is None or value == "":
        return None
    items = list(value) if isinstance(value, list | tuple | pydicom.multival.MultiValue) else [value]
    try:
        result = tuple(float(item) for item in items if str(item).strip() != "")
    except (TypeError, ValueError):
        raise BadValue(keyword, value) from None
    if not all(math.isfinite(v) for v in result):
        raise BadValue(keyword, value)
    return result or None


def first_number(value):
    """The first number of a display attribute (window, rescale); None if there is none or it is bad."""
    try:
        values = numbers(value)
    except BadValue:
        return None
    return values[0] if values else None


def attribute(ds, keyword, frame=0):
    """The value of ``keyword`` at the top level of ``ds``, else in its shared or per-frame
    functional groups (enhanced multi-frame files); None if absent."""
    if keyword in ds:
        return ds[keyword].value
    macro = MACROS.get(keyword)
    for groups, index in (("SharedFunctionalGroupsSequence", 0), ("PerFrameFunctionalGroupsSequence", frame)):
        items = ds.get(groups) if macro else None
        if items and len(items) > index and items[index].get(macro):
            item = items[index][macro][0]
            if keyword in item:
                return item[keyword].value
    return None


def text(ds, keyword):
    """The text of ``keyword`` in ``ds``, stripped; None if absent or empty."""
    return str(ds.get(keyword) or "").strip() or None


def read_dataset(path, name):
    """(the pydicom dataset of ``path`` without its pixel values, a note on how it was read)."""
    with open(path, "rb") as f:
        if f.read(2) == b"\x1f\x8b":
            raise ImportProblem(
                f"{name} is a gzip-compressed DICOM file: unpack it (gunzip) and upload the DICOM file it holds"
            )
    note = ""
    try:
        ds = pydicom.dcmread(path, defer_size=DEFER_BYTES)
    except InvalidDicomError:  # no preamble and file meta header: read as older files were written
        try:
            ds = pydicom.dcmread(path, defer_size=DEFER_BYTES, force=True)
        except Exception:  # noqa: BLE001 (not DICOM at all)
            ds = None
        if ds is not None and plausible(ds):
            implicit, little = ds.original_encoding
            encoding = f"{'implicit' if implicit else 'explicit'} VR {'little' if little else 'big'} endian"
            note = f"a DICOM file without a file meta header, read as {encoding}"
    except Exception as error:  # noqa: BLE001 (pydicom raises many kinds on a damaged file)
        raise ImportProblem(f"{name} is not a DICOM file that can be read ({reason(error)}): it is damaged") from None
    if ds is None or not plausible(ds):
        raise ImportProblem(
            f"{name} is not a DICOM file: none of the attributes every DICOM file has could be read from it "
            "(damaged, or another format?)"
        )
    return ds, note


def plausible(ds):
    """Whether ``ds`` (read from any bytes) has an attribute that DICOM files have, not only noise."""
    meta = ds.get("file_meta") or {}
    try:
        return "MediaStorageSOPClassUID" in meta or any(key in ds for key in COMMON_KEYS)
    except Exception:  # noqa: BLE001 (noise may not even be a dataset)
        return False


def reason(error):
    """An exception's text, short, on one line."""
    words = " ".join(str(error).split()) or type(error).__name__
    return words if len(words) <= 160 else words[:159] + "…"


def read_header(*, path, name):
    """The DicomHeader of the file at ``path``; ImportProblem if it is not DICOM or holds no image."""
    ds, note = read_dataset(path, name)
    try:
        sop_class = text(ds, "SOPClassUID") or text(ds.get("file_meta") or {}, "MediaStorageSOPClassUID")
        if not any(key in ds for key in PIXEL_DATA):
            raise ImportProblem(no_image_message(name, sop_class, note))
        if not (ds.get("Rows") and ds.get("Columns")):
            raise ImportProblem(
                f"{name} is {kind(sop_class)} whose pixel data has no size (no Rows and Columns): nothing to import"
            )
        return header_of(ds, path, name, note)
    except BadValue as bad:
        keyword, value = bad.args
        raise ImportProblem(
            f"{name}: its {keyword} is {str(value)[:40]!r}, not a number; the image cannot be placed or sized"
        ) from None


def header_of(ds, path, name, note=""):
    frames = numbers(ds.get("NumberOfFrames"), "NumberOfFrames")
    frames = int(frames[0]) if frames else 1
    orientation = numbers(attribute(ds, "ImageOrientationPatient"), "ImageOrientationPatient")
    if orientation is not None and len(orientation) != 6:
        raise BadValue("ImageOrientationPatient", attribute(ds, "ImageOrientationPatient"))
    spacing = numbers(attribute(ds, "PixelSpacing"), "PixelSpacing") or numbers(
        ds.get("ImagerPixelSpacing"), "ImagerPixelSpacing"
    )
    slice_spacing = numbers(attribute(ds, "SpacingBetweenSlices"), "SpacingBetweenSlices") or numbers(
        attribute(ds, "SliceThickness"), "SliceThickness"
    )
    instance = first_number(ds.get("InstanceNumber"))
    return DicomHeader(
        path=str(path),
        name=name,
        series_uid=text(ds, "SeriesInstanceUID") or f"(no series UID: {name})",
        columns=int(ds.Columns),
        rows=int(ds.Rows),
        frames=max(frames, 1),
        components=int(ds.get("SamplesPerPixel") or 1),
        orientation=orientation,
        positions=frame_positions(ds, frames, orientation),
        pixel_spacing=(spacing[1], spacing[0]) if spacing and len(spacing) == 2 else (1.0, 1.0),
        slice_spacing=slice_spacing[0] if slice_spacing and slice_spacing[0] > 0 else None,
        instance=int(instance) if instance is not None else 0,
        modality=text(ds, "Modality"),
        description=text(ds, "SeriesDescription"),
        window_center=first_number(attribute(ds, "WindowCenter")),
        window_width=first_number(attribute(ds, "WindowWidth")),
        rescale_slope=first_number(attribute(ds, "RescaleSlope")),
        rescale_intercept=first_number(attribute(ds, "RescaleIntercept")),
        note=note,
    )


def point(value, keyword="ImagePositionPatient"):
    values = numbers(value, keyword)
    if values is not None and len(values) != 3:
        raise BadValue(keyword, value)
    return values


def frame_positions(ds, frames, orientation):
    """The position of each frame (enhanced files: per frame; RT dose: the first position moved
    along the normal by the Grid Frame Offset Vector), else of the first frame only, else ()."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and len(per_frame) == frames and all(item.get("PlanePositionSequence") for item in per_frame):
        positions = [point(attribute(ds, "ImagePositionPatient", frame=i)) for i in range(frames)]
        if all(positions):
            return tuple(positions)
    first = point(attribute(ds, "ImagePositionPatient"))
    if first is None:
        return ()
    offsets = numbers(ds.get("GridFrameOffsetVector"), "GridFrameOffsetVector")
    if frames > 1 and offsets and len(offsets) == frames:
        n = normal(orientation or IDENTITY)
        return tuple(tuple(p + (o - offsets[0]) * k for p, k in zip(first, n, strict=True)) for o in offsets)
    return (first,)


def group_series(headers):
    """Lists of headers that make one image each: the files of a series that share an orientation
    (a localiser series holds slices in three), a multi-frame file alone."""
    groups = defaultdict(list)
    for header in headers:
        if header.frames > 1:
            key = (header.series_uid, header.path)
        else:
            key = (header.series_uid, tuple(round(v, 4) for v in header.orientation or IDENTITY))
        groups[key].append(header)
    return list(groups.values())


def check_series(series, label):
    """ImportProblem if the slices of ``series`` (of one orientation) have different sizes."""
    sizes = sorted({(h.columns, h.rows) for h in series})
    if len(sizes) > 1:
        shown = " and ".join(dims(s) for s in sizes[:3])
        raise ImportProblem(
            f"{label} has slices of {len(sizes)} different sizes ({shown}); upload each size as its own series"
        )


def read_voxels(planes, label):
    """The voxels of ``planes`` (of one multi-frame file, or one frame of each file) as a 3D image:
    GDCM's, else pydicom's."""
    paths = list(dict.fromkeys(p.header.path for p in planes))
    first = planes[0].header
    try:
        if len(paths) == 1:
            reader = sitk.ImageFileReader()
            reader.SetFileName(paths[0])
        else:
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(paths)
        reader.SetImageIO("GDCMImageIO")
        image = reader.Execute()
        if tuple(image.GetSize()) != (first.columns, first.rows, len(planes)):
            raise RuntimeError(f"GDCM read {dims(image.GetSize())} voxels")
    except RuntimeError as error:
        try:
            image = dicom_pixels.read(paths, first.components)
        except Exception as fallback:  # noqa: BLE001 (pydicom raises many kinds on a damaged file)
            raise ImportProblem(
                f"{label} could not be read: neither GDCM ({itk_reason(error)}) nor pydicom ({reason(fallback)}) "
                "can decode its pixel data; it may be damaged or cut short"
            ) from None
    order = [p.frame for p in planes]
    if len(paths) == 1 and order != sorted(order):
        image = sitk.JoinSeries([image[:, :, i] for i in order])
    return image


@errors_as_data
def import_series(*, series, limits):
    """One 3D image of the DICOM files in ``series`` (DicomHeaders of one series, or one multi-frame
    file), slices ordered by position, with the display attributes of its first slice."""
    first = series[0]
    label = f"DICOM series {first.description or first.series_uid} ({len(series)} files)"
    if len(series) == 1:
        label = first.name
    check_series(series, label)
    where = geometry(series, label)
    size = (first.columns, first.rows, len(where.planes))
    check_header(size, first.components, where.spacing, name=label, title="DICOM", limits=limits)
    image = read_voxels(where.planes, label)
    image.SetSpacing(where.spacing)
    image.SetOrigin(where.origin)
    image.SetDirection(where.direction)
    head = where.planes[0].header
    return Loaded(
        image,
        window_center=head.window_center,
        window_width=head.window_width,
        modality=head.modality,
        series_description=head.description,
        rescale_slope=head.rescale_slope,
        rescale_intercept=head.rescale_intercept,
        note=reading_note(where.planes),
    )


def reading_note(planes):
    """How the files of ``planes`` were read, where that is worth saying ("" for the usual way)."""
    files = {plane.header.path: plane.header for plane in planes}
    noted = [header for header in files.values() if header.note]
    if not noted:
        return ""
    if len(files) == 1:
        return f"{noted[0].name} is {noted[0].note}"
    return f"{len(noted)} of its {len(files)} files are {noted[0].note.removeprefix('a ').replace('file', 'files', 1)}"
