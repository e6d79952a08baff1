"""Storing imported images: compressed MHA (TIFF for large 2D pictures) in the importer's output
folder, with everything the Image row records about them. The worker copies each file into the data
directory and hashes its own copy (``results.py``)."""

import uuid
from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk

COLOR_SPACES = {1: "gray", 3: "rgb", 4: "rgba"}


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
        sitk.WriteImage(image, str(target), True, limits.compression_level)
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
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
