"""NIfTI-2 images, which ITK does not read, read by nibabel (inside the importer container only).

The geometry follows what ITK does for NIfTI-1: nibabel's best affine (the sform if it has a code,
else the qform) turned from RAS into LPS; spacing the lengths of its columns, direction the columns
made unit length, the origin its translation. A fourth axis (time) gets pixdim[4] and no rotation.
"""

import nibabel
import numpy as np
import SimpleITK as sitk

LPS = np.diag([-1.0, -1.0, 1.0])


class Unreadable(Exception):
    """A NIfTI-2 file of a kind this reader does not import; the message says what to do."""


def read(path, name):
    """The SimpleITK image of the NIfTI-2 file at ``path`` (header already checked), voxels scaled."""
    image = nibabel.load(path)
    data = np.asanyarray(image.dataobj)
    if data.dtype.fields:
        raise Unreadable(f"{name} holds RGB voxels in NIfTI-2; save it as NIfTI-1 (.nii.gz) and upload that")
    dimension = data.ndim
    result = sitk.GetImageFromArray(np.ascontiguousarray(data.T), isVector=False)
    affine = LPS @ image.affine[:3, :]
    columns = affine[:, :3]
    spacing = np.linalg.norm(columns, axis=0)
    direction = np.eye(max(dimension, 3))
    direction[:3, :3] = columns / spacing
    origin = list(affine[:, 3]) + [0.0] * (dimension - 3)
    step = float(image.header["pixdim"][4])
    spacing = list(spacing) + [step if step > 0 else 1.0] * (dimension - 3)
    result.SetSpacing([float(v) for v in spacing[:dimension]])
    result.SetOrigin([float(v) for v in origin[:dimension]])
    result.SetDirection([float(v) for v in direction[:dimension, :dimension].ravel()])
    return result
