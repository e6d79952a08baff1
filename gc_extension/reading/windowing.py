"""Window/level presets: which intensities the viewer maps from black to white.

A preset is a window width and centre (level) in the image's units, as radiologists give them
for CT in Hounsfield units; ``Auto`` and ``Full range`` come from the image itself.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A window of ``width`` intensities centred on ``level``."""

    width: float
    level: float

    @property
    def range(self):
        """(lowest, highest) intensity shown: below is black, above is white."""
        return self.level - self.width / 2, self.level + self.width / 2


CT_PRESETS = {
    "Soft tissue": Window(400, 40),
    "Lung": Window(1500, -600),
    "Bone": Window(1800, 400),
    "Brain": Window(80, 40),
}

AUTO, FULL_RANGE = "Auto", "Full range"
PRESET_NAMES = (AUTO, FULL_RANGE, *CT_PRESETS)


def intensity_range(preset, percentiles, minimum, maximum):
    """(low, high) for ``preset``: a CT window, the image's whole range (``Full range``), or its
    1st to 99th percentile (``Auto``, given as ``percentiles``), which ignores a few outliers."""
    if preset == FULL_RANGE:
        return float(minimum), float(maximum)
    if preset == AUTO:
        low, high = percentiles
        return (float(low), float(high)) if high > low else (float(minimum), float(maximum))
    if preset in CT_PRESETS:
        return CT_PRESETS[preset].range
    raise ValueError(f"no window preset {preset!r}; choose one of {', '.join(PRESET_NAMES)}")
