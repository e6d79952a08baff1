"""What a viewer configuration or hanging protocol asks for that this viewer (itkwidgets 0.32)
cannot do, in sentences shown to the reader above the viewports rather than ignored."""

from .links import unlinked
from .viewports import drawn_over


def interpolation_notes(settings, overlaid):
    notes = []
    if overlaid and settings.get("default_image_interpolation", "cubic") != "nearest":
        notes.append("no interpolation under a segmentation (this viewer shows those images voxel by voxel)")
    elif settings.get("default_image_interpolation") == "cubic":
        notes.append("linear interpolation, not cubic (this viewer has no cubic interpolation)")
    if settings.get("default_overlay_interpolation", "nearest") != "nearest":
        notes.append("segmentations are not interpolated (this viewer shows them voxel by voxel)")
    return notes


def limitations(settings, layout, viewports=1, overlaid=False):
    """Sentences for what ``settings`` (none without a viewer configuration) and the protocol
    ``layout`` ask for that cannot be done; links are only mentioned when there are several
    ``viewports`` to link, interpolation under an overlay when a viewport is ``overlaid``."""
    notes = interpolation_notes(settings, overlaid) if settings else []
    if settings.get("default_zoom_scale", 1) != 1:
        notes.append("the zoom starts at 1 (this viewer cannot be given a zoom)")
    if viewports > 1 and settings.get("link_images", False):
        notes += unlinked(settings)
    hidden = drawn_over(layout or ())
    if hidden:
        notes.append(f"viewports drawn over another are not shown: {', '.join(hidden)} (this viewer cannot)")
    return notes
