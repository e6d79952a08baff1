"""A case in the itkwidgets viewer: its images in the viewports of a hanging protocol (or side by
side), a segmentation overlaid, a viewer configuration's presets, links and segments, the
points the reader clicks on a slice, and answers drawn back on it.

Images are downloaded once into a cache folder in the home directory and read with SimpleITK;
itkwidgets 0.32 takes SimpleITK images as they are (geometry kept), so clicked positions are world
coordinates in millimetres. Each image is shown at full resolution unless it is too large for
the browser (see ``resolution``).
"""

from html import escape
from pathlib import Path
from typing import NamedTuple

import ipywidgets as w
import numpy as np
import SimpleITK as sitk

from .limitations import limitations
from .links import links
from .resolution import bytes_per_voxel, shown
from .segments import centre_of, label_names, label_weights
from .viewports import grid_size, hang, side_by_side
from .windowing import presets

CACHE = Path.home() / ".cache" / "gc-hub" / "images"
IMAGE_KINDS = ("image",)
OVERLAY_KINDS = ("segmentation", "heat-map")
GRAYSCALE, INVERTED = "Grayscale", "X Ray"  # itkwidgets.cm.grayscale and .xray (white to black)


class Marks(NamedTuple):
    """Something drawn on the slices: ``paths`` (lists of world points, each joined in order),
    ``points`` (each marked with a cross) and their ``colour`` (red, green, blue from 0 to 1)."""

    paths: list
    points: list
    colour: tuple


CROSS_SIZE = 0.015  # half a point's cross, as a share of the image's largest side


def crosses(points, arm):
    """A cross of three lines through each of ``points``, ``arm`` long each way along each axis."""
    return [
        [[c - arm * (axis == i) for i, c in enumerate(point)], [c + arm * (axis == i) for i, c in enumerate(point)]]
        for point in points
        for axis in range(3)
    ]


def polydata(paths):
    """``paths`` as vtk.js polydata (the form itkwidgets draws as geometry): each a polyline (the
    points of a 2D image in its plane z = 0)."""
    points = np.asarray([[*p, 0, 0][:3] for path in paths for p in path], dtype=np.float32).reshape(-1, 3)
    cells, start = [], 0
    for path in paths:
        cells += [len(path), *range(start, start + len(path))]
        start += len(path)
    return {
        "vtkClass": "vtkPolyData",
        "points": {
            "vtkClass": "vtkPoints",
            "name": "_points",
            "numberOfComponents": 3,
            "dataType": "Float32Array",
            "size": points.size,
            "values": points.ravel(),
        },
        "lines": {
            "vtkClass": "vtkCellArray",
            "name": "_lines",
            "numberOfComponents": 1,
            "dataType": "Uint32Array",
            "size": len(cells),
            "values": np.asarray(cells, dtype=np.uint32),
        },
    }


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
    """The viewer part of the screen; ``use`` says how cases are shown, ``show`` puts a case in
    it. ``on_click(position)`` is called with the world position of each click on a slice."""

    def __init__(self, client, on_click=None):
        self.client = client
        self.on_click = on_click
        self.shown, self.links = [], []  # [(viewer, image, mask)] and the jslinks between them
        self.marks = []  # what is drawn on every viewport's slices
        self.preset = w.ToggleButtons(description="Window")
        self.preset.style.button_width = "90px"
        self.preset.observe(lambda change: self.apply_window(), "value")
        self.overlay = w.Checkbox(value=False, disabled=True, description="Show segmentation", indent=False)
        self.overlay.add_class("gc-show-segmentation")
        self.overlay.observe(lambda change: self.apply_overlay(), "value")
        self.overlay_note = w.HTML()
        self.overlay_note.add_class("gc-overlay-note")
        self.invert = w.Checkbox(value=False, description="Invert", indent=False, layout=w.Layout(width="80px"))
        self.invert.observe(lambda change: self.apply_colours(), "value")
        self.linked = w.Checkbox(value=False, description="Link viewports", indent=False)
        self.linked.add_class("gc-link-viewports")
        self.linked.observe(lambda change: self.link(), "value")
        self.notes = w.HTML()
        self.notes.add_class("gc-viewer-limitations")
        self.caption = w.HTML()
        self.panes = w.GridBox(layout=w.Layout(width="100%", grid_gap="4px"))
        tools = w.HBox([self.preset, self.invert, self.linked, self.overlay, self.overlay_note])
        self.widget = w.VBox([tools, self.notes, self.caption, self.panes])
        self.widget.add_class("gc-viewer")
        self.use()

    def use(self, settings=None, layout=None, view_content=None):
        """Show cases with a viewer configuration's ``settings`` and a hanging protocol's ``layout``
        and ``view_content`` from now on (none: the standard presets, images side by side)."""
        self.settings, self.layout, self.view_content = settings or {}, layout, view_content or {}
        self.presets, default = presets(self.settings)
        self.shown = []  # the new presets must not redraw the previous case's viewers
        self.preset.options, self.preset.value = list(self.presets), default
        self.invert.layout.display = None if self.settings.get("show_invert_tool", True) else "none"
        self.linked.value = self.settings.get("link_images", False)  # unlinked without a configuration

    def load(self, image_id):
        """Image ``image_id`` as a SimpleITK image, downloaded on first use."""
        folder = CACHE / str(image_id)
        cached = [p for p in folder.glob("*") if not p.name.endswith(".part")] if folder.is_dir() else []
        path = cached[0] if cached else self.client.download_image(image_id, folder)
        return sitk.ReadImage(str(path))

    def show(self, values, socket_kinds, title="", centre=None, marks=()):
        """Show a case (its values as the API gives them) in the viewports, each with the case's
        segmentation of its grid overlaid, opened on the slices through ``centre`` (world
        coordinates) when given, with ``marks`` drawn."""
        self.marks = [m for m in marks if m.paths or m.points]
        images = image_values(values, socket_kinds, IMAGE_KINDS)
        overlays = image_values(values, socket_kinds, OVERLAY_KINDS)
        self.caption.value = f"<b>{escape(title)}</b> <small>loading {len(images) + len(overlays)} image(s)…</small>"
        if not images:
            self.panes.children = [w.HTML("<p>This case has no image to show.</p>")]
            self.shown = []
            return
        names = [socket for socket, _ in images]
        viewports = (
            hang(self.layout, self.view_content, names, [socket for socket, _ in overlays])
            if self.layout
            else side_by_side(names, self.settings.get("default_orientation"))
        )
        listed = ", ".join(s for s, _ in overlays) if overlays else "none"
        self.offer_overlay(bool(overlays), "this case has no segmentation")
        self.display(
            viewports,
            {socket: self.load(image_id) for socket, image_id in images},
            {socket: self.load(image_id) for socket, image_id in overlays},
            f"<b>{escape(title)}</b> <small>segmentation overlay: {escape(listed)}</small>",
            centre,
        )

    def show_images(self, image, mask=None, title=""):
        """Show one image (and a mask over it) that is not in an archive, such as an upload."""
        self.marks = []
        overlay = "the output segmentation" if mask is not None else "none (no output on this image's grid)"
        self.offer_overlay(mask is not None, "the algorithm gave no segmentation on this image's grid")
        self.display(
            side_by_side(["image"], self.settings.get("default_orientation")),
            {"image": image},
            {"output": mask} if mask is not None else {},
            f"<b>{escape(title)}</b> <small>overlay: {overlay}</small>",
        )

    def offer_overlay(self, available, why_not):
        """Tick *Show segmentation* when there is a segmentation to show; otherwise untick and
        disable it, and say why (``why_not``)."""
        self.shown = []  # the tick must not redraw the previous case's viewers
        self.overlay.value, self.overlay.disabled = available, not available
        self.overlay_note.value = "" if available else f"<small>({escape(why_not)})</small>"

    def display(self, viewports, images, masks, caption, centre=None):
        """Each of ``viewports`` on its cells of the grid, with the first of its sockets that is
        one of ``images`` (by socket), the mask of that image's grid over it (one the viewport
        names first, else any of ``masks``), opened on ``centre``, with the marks drawn."""
        import itkwidgets  # slow to import: only when something is shown

        columns, rows = grid_size(viewports)
        self.panes.layout.grid_template_columns = f"repeat({columns}, minmax(0, 1fr))"
        self.panes.layout.grid_template_rows = f"repeat({rows}, auto)"
        self.shown, panes = [], []
        for viewport in viewports:
            socket = next((s for s in viewport.sockets if s in images), None)
            title = f"<b>{escape(viewport.label)}</b>"
            if viewport.orientation not in viewport.label.lower():
                title += f" <small>({escape(viewport.orientation)})</small>"
            if socket is None:
                pane = w.HTML(f"{title}<p><small>This case has no image for this viewport.</small></p>")
            else:
                image = images[socket]
                named = [masks[s] for s in viewport.sockets if s in masks] or list(masks.values())
                mask = next((m for m in named if same_grid(m, image)), None)
                viewer, resolution = self.viewer_of(itkwidgets, image, mask, viewport.mode, centre)
                label = w.HTML(f"{title} <small>{escape(socket)}: {escape(resolution.message())}</small>")
                label.add_class("gc-full-resolution" if resolution.full_resolution else "gc-reduced-resolution")
                self.shown.append((viewer, image, mask))
                pane = w.VBox([label, viewer])
            pane.layout.grid_area = viewport.grid_area
            pane.layout.min_width = "0"
            pane.add_class(f"gc-viewport-{viewport.name}")
            panes.append(pane)
        self.panes.children = panes
        self.caption.value = caption
        notes = limitations(self.settings, self.layout, len(self.shown), any(m is not None for *_, m in self.shown))
        self.notes.value = (
            "<small><b>Not as configured:</b> " + "; ".join(escape(n) for n in notes) + ".</small>" if notes else ""
        )
        self.apply_window()
        self.apply_overlay()
        self.apply_colours()
        self.link()

    def viewer_of(self, itkwidgets, image, mask, mode, centre):
        """An itkwidgets viewer of ``image`` in ``mode`` opened on ``centre`` (else on the centre
        of the mask, when the configuration jumps there), and what of the image it shows."""
        sent = shown(image.GetSize(), bytes_per_voxel(image) + (bytes_per_voxel(mask) if mask else 0))
        limit = {f"size_limit_{image.GetDimension()}d": np.array(sent.limit, dtype=np.int64)}
        slices = {}
        if centre is None and mask is not None and self.settings.get("auto_jump_center_of_gravity", True):
            centre = centre_of(mask)
        if centre is not None and image.GetDimension() == 3:
            slices = dict(zip(("x_slice", "y_slice", "z_slice"), (float(c) for c in centre), strict=True))
        viewer = itkwidgets.view(
            image,
            mode=mode,
            cmap=GRAYSCALE,
            ui_collapsed=True,
            interpolation=self.settings.get("default_image_interpolation") != "nearest",
            label_image=mask,
            **limit,
            **slices,
        )
        if mask is not None:
            self.name_segments(viewer, mask)
        self.draw_on(viewer, image)
        viewer.observe(self.clicked, "clicked_slice_point")
        return viewer, sent

    def draw(self, marks):
        """Draw ``marks`` (Marks) on the slices of every viewport, in place of what was drawn."""
        self.marks = [m for m in marks if m.paths or m.points]
        for viewer, image, _ in self.shown:
            self.draw_on(viewer, image)

    def draw_on(self, viewer, image):
        """Draw the marks on ``viewer`` of ``image``: their paths, and each point as a small
        cross along the image's axes (a plus sign on a slice of any orientation)."""
        arm = CROSS_SIZE * max(n * s for n, s in zip(image.GetSize(), image.GetSpacing(), strict=False))
        viewer.geometries = [polydata([*m.paths, *crosses(m.points, arm)]) for m in self.marks]
        viewer.geometry_colors = np.asarray([m.colour for m in self.marks], dtype=np.float32).reshape(-1, 3)

    def name_segments(self, viewer, mask):
        """Name the segments of the viewer's overlay and hide those configured as not visible.
        The labels are read from the SimpleITK mask, not from itkwidgets' own itk copy: the run
        tab shows results from a thread, and itk's lazy loading is not safe there."""
        segments = self.settings.get("overlay_segments") or []
        labels = [int(v) for v in np.unique(sitk.GetArrayViewFromImage(mask))]
        viewer.label_image_names = label_names(labels, segments)
        viewer.label_image_weights = np.array(label_weights(labels, segments), dtype=np.float32)

    def apply_window(self):
        for viewer, image, _ in self.shown:
            low, high = self.presets[self.preset.value].limits(sitk.GetArrayViewFromImage(image))
            viewer.vmin, viewer.vmax = [low], [high]

    def apply_overlay(self):
        """Each mask over its image while *Show segmentation* is ticked (at the configured
        opacity), hidden otherwise."""
        for viewer, _, _ in self.shown:
            viewer.label_image_blend = self.settings.get("default_overlay_alpha", 0.5) if self.overlay.value else 0

    def apply_colours(self):
        for viewer, _, _ in self.shown:
            viewer.cmap = [INVERTED if self.invert.value else GRAYSCALE]

    def link(self):
        """Link the viewers as the configuration says while *Link viewports* is ticked."""
        for made in self.links:
            made.unlink()
        viewers = [viewer for viewer, _, _ in self.shown]
        wanted = links(self.settings, [viewer.mode for viewer in viewers]) if self.linked.value else []
        self.links = [
            w.jslink((viewers[link.viewers[0]], link.trait), (viewers[other], link.trait))
            for link in wanted
            for other in link.viewers[1:]
        ]
        self.linked.layout.display = None if len(viewers) > 1 else "none"

    def clicked(self, change):
        point = change["new"]
        if point is not None and self.on_click is not None:
            self.on_click(np.asarray(point.position, dtype=float).tolist())
