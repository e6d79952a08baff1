"""An overlay's segments as a viewer configuration gives them (grand-challenge's
``overlay_segments``: a voxel value, a name, whether it is visible) in itkwidgets' terms: one
weight from 0 (hidden) to 1 and one name for each label value the overlay holds, in order;
and where the overlay's centre is, to open a case there."""

import numpy as np
import SimpleITK as sitk


def label_weights(labels, segments):
    """The weight of each of ``labels``: 0 for the background (0) and for a segment configured as
    not visible, 1 for the others."""
    hidden = {s["voxel_value"] for s in segments if not s["visible"]}
    return [0.0 if label == 0 or label in hidden else 1.0 for label in labels]


def label_names(labels, segments):
    """``[(label, name)]``: a configured segment's name, else the value itself."""
    names = {s["voxel_value"]: s["name"] for s in segments}
    return [(label, names.get(label, str(label))) for label in labels]


def centre_of(mask):
    """The world position (x, y, z) of the centre of gravity of the SimpleITK ``mask``'s labelled
    voxels; None when it labels none."""
    voxels = np.argwhere(sitk.GetArrayViewFromImage(mask) > 0)
    if not len(voxels):
        return None
    index = [float(i) for i in voxels.mean(axis=0)[::-1]]  # the array is z, y, x
    return mask.TransformContinuousIndexToPhysicalPoint(index)
