"""A small picture of an image for pages: its middle slice, windowed to 8 bits, as a PNG.

Made in the importer container, where the image was parsed anyway (``store.py`` writes it beside
the stored file, same name, ``.png``), so that the services only ever serve stored PNG bytes.
"""

import numpy as np
import SimpleITK as sitk

SIDE = 256  # the longer side of a thumbnail, in pixels
PERCENTILES = (1, 99)  # the window of an image without one of its own


def middle_slice(image):
    """The 2D middle slice of ``image`` (middle z, first time point), as an array (rows, columns[, channels])."""
    array = sitk.GetArrayViewFromImage(image)  # (t, z, y, x[, c]) for 4D, (z, y, x[, c]) for 3D
    vector = image.GetNumberOfComponentsPerPixel() > 1
    while array.ndim > 2 + vector:
        array = array[array.shape[0] // 2] if array.ndim == 3 + vector else array[0]
    return np.array(array)


def windowed(pixels, center=None, width=None):
    """``pixels`` mapped to 0–255: by the window given, else from the 1st to the 99th percentile."""
    values = pixels.astype(np.float64)
    if center is not None and width:
        low, high = center - width / 2, center + width / 2
    else:
        low, high = np.percentile(values, PERCENTILES) if values.size else (0.0, 1.0)
    if high <= low:
        high = low + 1
    return (np.clip((values - low) / (high - low), 0, 1) * 255).round().astype(np.uint8)


def thumbnail(image, center=None, width=None):
    """The 8-bit SimpleITK image to save as ``image``'s thumbnail: gray, or RGB for colour pictures."""
    pixels = middle_slice(image)
    if pixels.ndim == 3:  # colour: its first three channels, as they are when 8-bit
        pixels = pixels[..., :3]
        rgb = pixels if pixels.dtype == np.uint8 else windowed(pixels)
        picture = sitk.GetImageFromArray(np.ascontiguousarray(rgb), isVector=True)
    else:
        picture = sitk.GetImageFromArray(windowed(pixels, center, width))
    spacing = image.GetSpacing()[:2]
    picture.SetSpacing(spacing)
    return shrunk(picture)


def shrunk(picture):
    """``picture`` resampled so that its longer physical side is SIDE pixels, square pixels."""
    size = picture.GetSize()
    extent = [n * s for n, s in zip(size, picture.GetSpacing(), strict=True)]
    step = max(extent) / SIDE
    out = [max(1, round(e / step)) for e in extent]
    return sitk.Resample(picture, out, sitk.Transform(), sitk.sitkLinear, picture.GetOrigin(), [step, step])


def write_thumbnail(image, target, center=None, width=None):
    """Save ``image``'s thumbnail as the PNG ``target``."""
    sitk.WriteImage(thumbnail(image, center, width), str(target))
