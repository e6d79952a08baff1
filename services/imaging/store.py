"""Storing imported images: compressed MHA (TIFF for large 2D pictures) in the importer's output
folder, with everything the Image row records about them, and a PNG thumbnail beside each
(``thumbnails.py``). The worker copies each file into the data directory and hashes its own copy
(``results.py``)."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk
from isal import isal_zlib
from SimpleITK._SimpleITK import _GetMemoryViewFromImage  # what GetArrayViewFromImage wraps, without NumPy

from .thumbnails import write_thumbnail

COLOR_SPACES = {1: "gray", 3: "rgb", 4: "rgba"}


def remove_stored(path):
    """Remove the stored image file ``path``, then its thumbnail beside it: in that order, so
    that a thumbnail drawn meanwhile finds its image gone and removes itself (tasks/thumbnails.py)."""
    Path(path).unlink(missing_ok=True)
    Path(path).with_suffix(".png").unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredImage:
    """An image file in the data directory and its metadata (the fields of ``orm.Image``)."""

    path: str  # relative to the data directory (in the container: to /output)
    size: int
    sha256: str  # of the worker's copy; empty in the container
    dimensions: list
    spacing: list
    origin: list
    direction: list
    pixel_type: str
    color_space: str
    window_center: float | None = None
    window_width: float | None = None
    modality: str | None = None
    series_description: str | None = None
    rescale_slope: float | None = None
    rescale_intercept: float | None = None


def suffix_for(image, limits):
    """``.tif`` for 2D images of at least ``limits.tiff_min_pixels`` pixels, ``.mha`` otherwise."""
    size = image.GetSize()
    if len(size) == 2 and size[0] * size[1] >= limits.tiff_min_pixels:
        return ".tif"
    return ".mha"


def store(loaded, *, data_dir, limits):
    """Write ``loaded.image`` under ``data_dir/images/`` and describe it (no hash: see StoredImage).

    The image's metadata dictionary (DICOM patient tags among it) is dropped, not copied into the
    stored file: what the platform keeps of a header is in the returned fields.
    """
    image = loaded.image
    for key in image.GetMetaDataKeys():
        image.EraseMetaData(key)
    name = uuid.uuid4().hex
    relative = Path("images", name[:2], name + suffix_for(image, limits))
    target = Path(data_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if target.suffix == ".mha":
            write_mha(image, target, limits.compression_level)
        else:
            sitk.WriteImage(image, str(target), True, limits.compression_level)
        keep_thumbnail(loaded, target.with_suffix(".png"))
        return StoredImage(
            path=relative.as_posix(),
            size=target.stat().st_size,
            sha256="",
            dimensions=list(image.GetSize()),
            spacing=list(image.GetSpacing()),
            origin=list(image.GetOrigin()),
            direction=list(image.GetDirection()),
            pixel_type=sitk.GetPixelIDValueAsString(image.GetPixelID()),
            color_space=COLOR_SPACES.get(image.GetNumberOfComponentsPerPixel(), "gray"),
            window_center=loaded.window_center,
            window_width=loaded.window_width,
            modality=loaded.modality,
            series_description=loaded.series_description,
            rescale_slope=loaded.rescale_slope,
            rescale_intercept=loaded.rescale_intercept,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        target.with_suffix(".png").unlink(missing_ok=True)
        raise


def keep_thumbnail(loaded, target):
    """Write the thumbnail of ``loaded.image`` to ``target``; an image without one is still imported
    (its pages show "no preview")."""
    try:
        write_thumbnail(loaded.image, target, loaded.window_center, loaded.window_width)
    except Exception:  # noqa: BLE001 (a picture for pages only: never the reason an import fails)
        target.unlink(missing_ok=True)


def write_mha(image, target, level):
    """Write ``image`` as the compressed MHA that SimpleITK writes, its voxels deflated by ISA-L
    at ``level`` (0–3): level 2 is as small as zlib's level 1 in a third of the time.

    ITK formats the header: it writes the image's geometry and pixel type with one voxel per axis,
    and only the sizes (``DimSize``, ``CompressedDataSize``) are put in afterwards."""
    probe = sitk.Image([1] * image.GetDimension(), image.GetPixelID(), image.GetNumberOfComponentsPerPixel())
    probe.SetSpacing(image.GetSpacing())
    probe.SetOrigin(image.GetOrigin())
    probe.SetDirection(image.GetDirection())
    sitk.WriteImage(probe, str(target), True)
    header = target.read_bytes()
    header = header[: header.index(LOCAL_DATA) + len(LOCAL_DATA)]
    voxels = isal_zlib.compress(_GetMemoryViewFromImage(image), level)
    header = set_header_value(header, b"DimSize", b" ".join(b"%d" % n for n in image.GetSize()))
    header = set_header_value(header, b"CompressedDataSize", b"%d" % len(voxels))
    with open(target, "wb") as file:
        file.write(header)
        file.write(voxels)


LOCAL_DATA = b"\nElementDataFile = LOCAL\n"


def set_header_value(header, key, value):
    """``header`` (MHA) with the one line of ``key`` set to ``value``."""
    header, count = re.subn(rb"^" + key + rb" = [^\n]*$", key + b" = " + value, header, flags=re.MULTILINE)
    if count != 1:
        raise RuntimeError(f"SimpleITK wrote {count} {key.decode()} lines into an MHA header")
    return header
