"""How much of an image the browser is sent: every voxel, unless the case is too large for it.

itkwidgets 0.32.6 shrinks any volume larger than its ``size_limit_3d`` (192³ by default) before
sending it to the browser. The reader sees full resolution here: the limit is the image's own
size, and only a case that the browser cannot take is shown at a lower resolution (one factor
for every axis), with a message that says so and how to read a region at full resolution.

What the browser can take: the viewer sends the pixels of the image and its overlay in one
websocket message of at most 256 MiB (the workstation's ``websocket_max_message_size``), and a
WebGL texture is at most 2048 voxels along a side on common graphics cards.
"""

import math
from dataclasses import dataclass

BROWSER_MAX_BYTES = 240 * 1024 * 1024  # raw pixels; the message is compressed, so this fits
BROWSER_MAX_SIDE = 2048


@dataclass(frozen=True)
class Shown:
    """What the viewer shows of an image of ``size`` voxels: every ``factor``-th voxel along each
    axis (1: full resolution); ``limit`` is itkwidgets' size limit that gives it."""

    size: tuple[int, ...]
    factor: int
    bytes_per_voxel: int

    @property
    def limit(self):
        return tuple(math.ceil(side / self.factor) for side in self.size)

    @property
    def full_resolution(self):
        return self.factor == 1

    def message(self):
        """One line for the reader: full resolution, or why not and what to do."""
        size = " × ".join(map(str, self.size))
        if self.full_resolution:
            return f"{size} voxels, shown at full resolution"
        shown = " × ".join(map(str, self.limit))
        megabytes = math.prod(self.size) * self.bytes_per_voxel / 2**20
        return (
            f"{size} voxels ({megabytes:,.0f} MiB) is too large for the browser at full resolution "
            f"(at most {BROWSER_MAX_BYTES // 2**20} MiB and {BROWSER_MAX_SIDE} voxels a side): shown at "
            f"1/{self.factor} resolution ({shown}). Crop to a region (the viewer's crop tool) to read it "
            "at full resolution."
        )


def shown(size, bytes_per_voxel):
    """What the browser is sent of an image of ``size`` voxels with ``bytes_per_voxel`` (the image's
    and its overlay's together): the smallest factor that fits the browser's limits."""
    size = tuple(int(side) for side in size)
    if not size or min(size) < 1 or bytes_per_voxel < 1:
        raise ValueError(f"an image of {size} voxels and {bytes_per_voxel} bytes a voxel cannot be shown")
    factor = 1
    while True:
        limit = [math.ceil(side / factor) for side in size]
        if max(limit) <= BROWSER_MAX_SIDE and math.prod(limit) * bytes_per_voxel <= BROWSER_MAX_BYTES:
            return Shown(size, factor, bytes_per_voxel)
        factor += 1


def bytes_per_voxel(image):
    """Bytes a voxel of the SimpleITK ``image`` takes in the viewer (itkwidgets sends 64-bit
    integers as 32-bit ones)."""
    component = image.GetSizeOfPixelComponent()
    if component == 8 and "int" in image.GetPixelIDTypeAsString():
        component = 4
    return component * image.GetNumberOfComponentsPerPixel()
