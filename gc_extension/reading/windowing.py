"""Window/level presets: which intensities the viewer maps from black to white.

A preset is a window width and centre (level) in the image's units, as radiologists give them
for CT in Hounsfield units, or a lower and upper percentile of the image's intensities. A viewer
configuration's presets (grand-challenge's shape) replace the standard ones.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """A window of ``width`` intensities centred on ``level``."""

    width: float
    level: float

    def limits(self, pixels):
        """(lowest, highest) intensity shown: below is black, above is white."""
        return self.level - self.width / 2, self.level + self.width / 2


@dataclass(frozen=True)
class Percentiles:
    """The image's intensities from its ``lower`` to its ``upper`` percentile."""

    lower: float
    upper: float

    def limits(self, pixels):
        """As ``Window.limits``; a flat range (a nearly uniform image) gives the whole range."""
        low, high = (float(p) for p in np.percentile(pixels, [self.lower, self.upper]))
        return (low, high) if high > low else (float(np.min(pixels)), float(np.max(pixels)))


AUTO, FULL_RANGE = "Auto", "Full range"
STANDARD_PRESETS = {
    AUTO: Percentiles(1, 99),  # ignores a few outliers
    FULL_RANGE: Percentiles(0, 100),
    "Soft tissue": Window(400, 40),
    "Lung": Window(1500, -600),
    "Bone": Window(1800, 400),
    "Brain": Window(80, 40),
}


def presets(settings):
    """(presets by title, the one chosen first) from a viewer configuration's ``settings``: its
    window presets and default when it has any, else the standard ones and ``Auto``."""
    given = {
        p["title"]: Window(p["width"], p["center"]) if "width" in p else Percentiles(p["lower_percentile"],
                                                                                     p["upper_percentile"])
        for p in settings.get("window_presets") or ()
    }  # fmt: skip
    if not given:
        return STANDARD_PRESETS, AUTO
    default = settings.get("default_window_preset")
    return given, default if default in given else next(iter(given))
