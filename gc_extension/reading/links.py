"""Which of the viewers' traits are linked between viewports, from a viewer configuration's link
flags (grand-challenge's ``link_images`` turns linking on, ``link_slicing``, ``link_windowing``, …
say what is linked then).

Each linked trait is kept equal in the browser (``ipywidgets.jslink``), with no round trip to
the kernel. itkwidgets 0.32 syncs the slice positions (world coordinates), the window (``vmin``,
``vmax``), the colour map, the view mode and the camera (position, focal point, view-up). Its
slices are drawn with a parallel projection whose zoom is the camera's parallel scale, which is
not among the camera's synced values: zoom cannot be linked. The camera also holds the viewing
direction, so panning and orienting are linked between viewports of the same orientation only.
"""

from dataclasses import dataclass

# What each flag links, and whether across every viewport or within one orientation.
TRAITS = {
    "link_slicing": (("x_slice", "y_slice", "z_slice"), False),
    "link_windowing": (("vmin", "vmax"), False),
    "link_inverting": (("cmap",), False),
    "link_panning": (("camera",), True),
    "link_orienting": (("mode",), True),
}
NOT_LINKABLE = {
    "link_zooming": "zoom is not linked (this viewer keeps each viewport's zoom to itself)",
    "link_flipping": "no flipping to link (this viewer cannot flip an image)",
}


@dataclass(frozen=True)
class Link:
    """``trait`` kept equal between the viewers at positions ``viewers``."""

    trait: str
    viewers: tuple[int, ...]


def links(settings, orientations):
    """The links for viewers in ``orientations`` (one per viewer) that ``settings`` asks for."""
    found = []
    for flag, (traits, same_orientation) in TRAITS.items():
        if not settings.get(flag, True):
            continue
        groups = (
            [
                tuple(i for i, o in enumerate(orientations) if o == orientation)
                for orientation in dict.fromkeys(orientations)
            ]
            if same_orientation
            else [tuple(range(len(orientations)))]
        )
        found += [Link(trait, group) for trait in traits for group in groups if len(group) > 1]
    return found


def unlinked(settings):
    """Sentences for the links ``settings`` asks for that this viewer cannot make."""
    return [why for flag, why in NOT_LINKABLE.items() if settings.get(flag, True)]
