"""A case in the itkwidgets viewer: its images side by side, a segmentation overlaid, window/level
presets, and the points the reader clicks on a slice.

Images are downloaded once into a cache folder in the home directory and read with SimpleITK;
itkwidgets 0.32 takes SimpleITK images as they are (geometry kept), so clicked positions are world
coordinates in millimetres. Each image is shown at full resolution unless it is too large for
the browser (see ``resolution``).
"""

from html import escape
from pathlib import Path

import ipywidgets as w
import numpy as np
import SimpleITK as sitk

from .resolution import bytes_per_voxel, shown
from .windowing import AUTO, PRESET_NAMES, intensity_range

CACHE = Path.home() / ".cache" / "gc-hub" / "images"
IMAGE_KINDS = ("image",)
OVERLAY_KINDS = ("segmentation", "heat-map")
GRAYSCALE = "Grayscale"  # itkwidgets.cm.grayscale


def image_values(values, socket_kinds, kinds):
    """``[(socket, image id)]`` of a case's values whose socket is of one of ``kinds``."""
    return [
        (socket, value["image"])
        for socket, value in values.items()
        if isinstance(value, dict) and "image" in value and socket_kinds.get(socket) in kinds
    ]


def same_grid(a, b):
    return a.GetSize() == b.GetSize() and np.allclose(a.GetSpacing(), b.GetSpacing())


class CaseViewer:
    """The viewer part of the screen; ``show`` puts a case in it. ``on_click(position)`` is
    called with the world position of each click on a slice."""

    def __init__(self, client, on_click=None):
        self.client = client
        self.on_click = on_click
        self.viewers, self.images = [], []
        self.preset = w.ToggleButtons(options=PRESET_NAMES, value=AUTO, description="Window")
        self.preset.style.button_width = "90px"
        self.preset.observe(lambda change: self.apply_window(), "value")
        self.overlay = w.Checkbox(value=False, disabled=True, description="Show segmentation", indent=False)
        self.overlay.add_class("gc-show-segmentation")
        self.overlay.observe(lambda change: self.apply_overlay(), "value")
        self.overlay_note = w.HTML()
        self.overlay_note.add_class("gc-overlay-note")
        self.caption = w.HTML()
        self.panes = w.HBox(layout=w.Layout(width="100%"))
        self.widget = w.VBox([w.HBox([self.preset, self.overlay, self.overlay_note]), self.caption, self.panes])
        self.widget.add_class("gc-viewer")
        self.masks = []

    def load(self, image_id):
        """Image ``image_id`` as a SimpleITK image, downloaded on first use."""
        folder = CACHE / str(image_id)
        cached = [p for p in folder.glob("*") if not p.name.endswith(".part")] if folder.is_dir() else []
        path = cached[0] if cached else self.client.download_image(image_id, folder)
        return sitk.ReadImage(str(path))

    def show(self, values, socket_kinds, title="", points=()):
        """Show a case (its values as the API gives them): each image in a viewer of its own, side
        by side, with the case's segmentation overlaid on the images of the same grid, and
        ``points`` (world coordinates) marked, on the slice of the first."""
        images = image_values(values, socket_kinds, IMAGE_KINDS)
        overlays = image_values(values, socket_kinds, OVERLAY_KINDS)
        self.caption.value = f"<b>{escape(title)}</b> <small>loading {len(images) + len(overlays)} image(s)…</small>"
        if not images:
            self.panes.children = [w.HTML("<p>This case has no image to show.</p>")]
            self.viewers, self.images = [], []
            return
        shown = ", ".join(s for s, _ in overlays) if overlays else "none"
        self.offer_overlay(bool(overlays), "this case has no segmentation")
        self.display(
            [(socket, self.load(image_id)) for socket, image_id in images],
            [self.load(image_id) for _, image_id in overlays],
            f"<b>{escape(title)}</b> <small>segmentation overlay: {escape(shown)}</small>",
            points,
        )

    def show_images(self, image, mask=None, title=""):
        """Show one image (and a mask over it) that is not in an archive, such as an upload."""
        overlay = "the output segmentation" if mask is not None else "none (no output on this image's grid)"
        self.offer_overlay(mask is not None, "the algorithm gave no segmentation on this image's grid")
        self.display(
            [("image", image)],
            [mask] if mask is not None else [],
            f"<b>{escape(title)}</b> <small>overlay: {overlay}</small>",
        )

    def offer_overlay(self, available, why_not):
        """Tick *Show segmentation* when there is a segmentation to show; otherwise untick and
        disable it, and say why (``why_not``)."""
        self.viewers, self.images = [], []  # the tick must not redraw the previous case's viewers
        self.overlay.value, self.overlay.disabled = available, not available
        self.overlay_note.value = "" if available else f"<small>({escape(why_not)})</small>"

    def display(self, images, masks, caption, points=()):
        """``images`` (``[(name, image)]``) side by side, each with the mask of its grid over it
        and ``points`` marked."""
        import itkwidgets  # slow to import: only when something is shown

        marks = {}
        if len(points):
            marks = {
                "point_sets": [np.asarray(points, dtype=np.float32).reshape(-1, 3)],
                "point_set_colors": [[1.0, 0.2, 0.2]],
                "point_set_sizes": [4],
                "point_set_representations": ["spheres"],
                "z_slice": float(points[0][2]),
            }

        self.images, self.masks = images, masks
        width = f"{100 // len(images) - 1}%"
        self.viewers, panes = [], []
        for name, image in images:
            mask = self.mask_for(image) if self.overlay.value else None
            sent = shown(image.GetSize(), bytes_per_voxel(image) + (bytes_per_voxel(mask) if mask else 0))
            limit = {f"size_limit_{image.GetDimension()}d": np.array(sent.limit, dtype=np.int64)}
            viewer = itkwidgets.view(
                image, label_image=mask, mode="z", cmap=GRAYSCALE, ui_collapsed=True, **limit, **marks
            )
            viewer.observe(self.clicked, "clicked_slice_point")
            self.viewers.append(viewer)
            label = w.HTML(f"<small>{escape(name)}: {escape(sent.message())}</small>")
            label.add_class("gc-full-resolution" if sent.full_resolution else "gc-reduced-resolution")
            panes.append(w.VBox([label, viewer], layout=w.Layout(width=width)))
        self.panes.children = panes
        self.caption.value = caption
        self.apply_window()

    def mask_for(self, image):
        return next((m for m in self.masks if same_grid(m, image)), None)

    def apply_window(self):
        for viewer, (_, image) in zip(self.viewers, self.images, strict=True):
            pixels = sitk.GetArrayViewFromImage(image)
            low, high = intensity_range(self.preset.value, np.percentile(pixels, [1, 99]), pixels.min(), pixels.max())
            viewer.vmin, viewer.vmax = [low], [high]

    def apply_overlay(self):
        for viewer, (_, image) in zip(self.viewers, self.images, strict=True):
            viewer.label_image = self.mask_for(image) if self.overlay.value else None

    def clicked(self, change):
        point = change["new"]
        if point is not None and self.on_click is not None:
            self.on_click(np.asarray(point.position, dtype=float).tolist())
