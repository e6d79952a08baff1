"""DICOM voxels that GDCM cannot read, decoded by pydicom's pixel handlers (NumPy for native,
deflated and RLE data, Pillow for JPEG and JPEG 2000), as panimg does.

Like GDCM, it applies each file's rescale (slope and intercept) to the stored values and gives colour
as RGB; the geometry is not its business (``dicom.geometry`` sets it).
"""

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.pixels import apply_rescale


def rescaled(ds, array):
    """``array`` in the modality's units: integers if slope and intercept are whole numbers (as GDCM
    gives them), else 64-bit floats; unchanged without a rescale."""
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is None and intercept is None:
        return array
    values = apply_rescale(array, ds)
    whole = all(float(v).is_integer() for v in (slope or 1, intercept or 0))
    if whole and array.dtype.itemsize <= 2 and array.dtype.kind in "iu":
        return values.astype(np.int32)
    return values.astype(np.float64)


def read(paths, components):
    """A 3D SimpleITK image of the frames of ``paths`` (one multi-frame file, or one file per slice),
    in that order."""
    stacks = []
    for path in paths:
        ds = pydicom.dcmread(path, force=True)
        array = ds.pixel_array  # colour as RGB: pydicom converts YBR by default
        single = int(ds.get("NumberOfFrames") or 1) == 1
        if single:
            array = array[np.newaxis]
        stacks.append(rescaled(ds, array))
    volume = np.concatenate(stacks)
    return sitk.GetImageFromArray(volume.astype(volume.dtype.newbyteorder("=")), isVector=components > 1)
