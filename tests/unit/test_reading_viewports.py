"""The reading app's viewports from a hanging protocol, the links between them from a viewer
configuration's flags, its segments, and what it asks for that the viewer cannot do."""

import pytest
import SimpleITK as sitk

from gc_extension.reading.limitations import limitations
from gc_extension.reading.links import Link, links
from gc_extension.reading.segments import centre_of, label_names, label_weights
from gc_extension.reading.viewports import Viewport, grid_size, hang, side_by_side


def cell(name, x, y, orientation="axial", **extra):
    return {"viewport_name": name, "x": x, "y": y, "w": 1, "h": 1, "orientation": orientation, **extra}


AXIAL_CORONAL = [cell("secondary", 1, 0, "coronal", label="Coronal"), cell("main", 0, 0, label="Axial")]


@pytest.mark.parametrize(("orientation", "mode"), [("axial", "z"), ("coronal", "y"), ("sagittal", "x")])
def test_each_orientation_is_a_view_mode_of_the_viewer(orientation, mode):
    assert Viewport("main", "", orientation, 0, 0).mode == mode


def test_images_go_to_the_viewports_in_order_main_first():
    main, secondary = hang(AXIAL_CORONAL, {}, ["ct", "prior", "extra"])
    assert (main.name, main.label, main.mode, main.sockets) == ("main", "Axial", "z", ("ct",))
    assert (secondary.name, secondary.mode, secondary.sockets) == ("secondary", "y", ("prior",))
    assert hang(AXIAL_CORONAL, {}, ["ct"])[1].sockets == ()  # a viewport may stay empty


def test_view_content_names_what_each_viewport_shows():
    view_content = {"main": ["ct", "mask"], "secondary": ["ct", "not-in-this-case"]}
    main, secondary = hang(AXIAL_CORONAL, view_content, ["ct", "prior"], ["mask"])
    assert main.sockets == ("ct", "mask") and secondary.sockets == ("ct",)


def test_viewports_take_their_cells_of_the_grid():
    layout = [cell("main", 0, 0), {**cell("secondary", 1, 0), "h": 2}, cell("tertiary", 0, 1)]
    viewports = {v.name: v for v in hang(layout, {}, ["a", "b", "c"])}
    assert grid_size(viewports.values()) == (2, 2)
    assert viewports["main"].grid_area == "1 / 1 / 2 / 2"
    assert viewports["secondary"].grid_area == "1 / 2 / 3 / 3"  # two rows high
    assert viewports["tertiary"].grid_area == "2 / 1 / 3 / 2"


def test_without_a_protocol_images_are_side_by_side_in_the_default_orientation():
    first, second = side_by_side(["ct", "prior"], "sagittal")
    assert [(v.x, v.y, v.mode, v.sockets) for v in (first, second)] == [(0, 0, "x", ("ct",)), (1, 0, "x", ("prior",))]
    assert side_by_side(["ct"])[0].mode == "z"  # axial when the configuration gives none


def test_viewports_drawn_over_another_are_left_out_and_said():
    layout = [cell("main", 0, 0), {"viewport_name": "secondary", "parent_id": "main"}]
    assert [v.name for v in hang(layout, {}, ["a", "b"])] == ["main"]
    assert any("secondary" in note for note in limitations({}, layout))


def test_the_flags_say_which_traits_are_linked_and_between_which_viewers():
    everything = links({}, ["z", "y", "z"])  # grand-challenge's defaults link everything
    slices = [Link(t, (0, 1, 2)) for t in ("x_slice", "y_slice", "z_slice")]
    assert everything == [*slices, Link("vmin", (0, 1, 2)), Link("vmax", (0, 1, 2)), Link("cmap", (0, 1, 2)),
                          Link("camera", (0, 2)), Link("mode", (0, 2))]  # fmt: skip
    only_slicing = {"link_windowing": False, "link_inverting": False, "link_panning": False, "link_orienting": False}
    assert links(only_slicing, ["z", "y"]) == [Link(t, (0, 1)) for t in ("x_slice", "y_slice", "z_slice")]
    assert links({}, ["z"]) == []


def test_zoom_and_flipping_cannot_be_linked_and_say_so():
    notes = limitations({"link_images": True, "link_zooming": True, "link_flipping": False}, None, viewports=2)
    assert any(n.startswith("zoom is not linked") for n in notes) and not any("flip" in n for n in notes)
    assert limitations({"link_images": False}, None, viewports=2) == []
    assert limitations({"link_images": True}, None, viewports=1) == []  # one viewport: nothing to link
    assert limitations({}, None, viewports=2, overlaid=True) == []  # no configuration: nothing to say


def test_settings_the_viewer_cannot_follow_are_said():
    notes = limitations({"default_image_interpolation": "cubic", "default_zoom_scale": 2}, None)
    assert any("cubic" in n for n in notes) and any("zoom" in n for n in notes)
    overlaid = limitations({"default_image_interpolation": "trilinear"}, None, overlaid=True)
    assert any("under a segmentation" in n for n in overlaid)


def test_a_segment_configured_as_not_visible_weighs_nothing_and_each_has_its_name():
    segments = [
        {"voxel_value": 1, "name": "Liver", "visible": True},
        {"voxel_value": 2, "name": "Lesion", "visible": False},
    ]
    assert label_weights([0, 1, 2, 3], segments) == [0.0, 1.0, 0.0, 1.0]
    assert label_names([0, 1, 2, 3], segments) == [(0, "0"), (1, "Liver"), (2, "Lesion"), (3, "3")]


def test_the_centre_of_a_mask_is_a_world_position():
    mask = sitk.Image([10, 10, 4], sitk.sitkUInt8)
    mask.SetSpacing((2, 2, 3))
    mask.SetOrigin((100, 0, 0))
    mask[4, 6, 2] = mask[6, 6, 2] = 1
    assert centre_of(mask) == (110, 12, 6)
    assert centre_of(sitk.Image([3, 3, 3], sitk.sitkUInt8)) is None
