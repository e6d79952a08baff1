"""Viewer configurations and hanging protocols: grand-challenge's shapes checked by schema and
rule (core/viewing.py), and the API that keeps them and attaches them to a reader study."""

import pytest
from test_reader_study_reading import app, ok  # noqa: F401  # app: the archives service, researchers create studies

from services.core.viewing import VIEWER_CONFIGURATION_DEFAULTS as DEFAULTS
from services.core.viewing import hanging_protocol_problems, view_content_problems, viewer_configuration_problems


def cell(name, x, y, orientation="axial", **extra):
    return {"viewport_name": name, "x": x, "y": y, "w": 1, "h": 1, "orientation": orientation, **extra}


TWO_VIEWPORTS = [cell("main", 0, 0), cell("secondary", 1, 0, "coronal", label="Coronal")]


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (TWO_VIEWPORTS, None),
        ([cell("main", 0, 0), cell("secondary", 0, 1), cell("tertiary", 1, 0, w=1)], None),
        ([cell("secondary", 0, 0)], "needs a viewport named main"),
        ([cell("main", 0, 0), cell("main", 1, 0)], "same name"),
        ([cell("main", 0, 0), cell("secondary", 0, 0)], "overlap at column 0, row 0"),
        ([{**cell("main", 0, 0), "w": 2}, cell("secondary", 1, 0)], "overlap at column 1, row 0"),
        ([cell("main", 0, 0), {"viewport_name": "secondary", "parent_id": "tertiary"}], "not another viewport"),
        ([cell("main", 0, 0, "oblique")], "does not fit its schema"),
        ([cell("main", 0, 0, label="<script>")], "does not fit its schema"),
        ([cell("sideways", 0, 0)], "does not fit its schema"),
        ([], "does not fit its schema"),
    ],
)
def test_hanging_protocol_rules(layout, expected):
    problems = hanging_protocol_problems(layout)
    assert problems == [] if expected is None else any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, None),
        ({"window_presets": [{"title": "Lung", "width": 1500, "center": -600}], "default_window_preset": "Lung"}, None),
        ({"window_presets": [{"title": "Auto", "lower_percentile": 1, "upper_percentile": 99}]}, None),
        ({"window_presets": [{"title": "Both", "width": 1, "center": 0, "lower_percentile": 1}]}, "schema"),
        ({"window_presets": [{"title": "Flip", "lower_percentile": 90, "upper_percentile": 10}]}, "upper percentile"),
        ({"default_window_preset": "Bone"}, "not one of the presets"),
        ({"overlay_segments": [{"voxel_value": 1, "name": "a", "visible": True}] * 2}, "same voxel value"),
        ({"default_overlay_alpha": 2}, "schema"),
        ({"link_zooming": "yes"}, "schema"),
        ({"unknown": 1}, "schema"),
    ],
)
def test_viewer_configuration_rules(settings, expected):
    problems = viewer_configuration_problems({**DEFAULTS, **settings})
    assert problems == [] if expected is None else any(expected in p for p in problems), problems


def test_view_content_names_the_protocols_viewports():
    assert view_content_problems({"main": ["ct-image"], "secondary": ["ct-image"]}, TWO_VIEWPORTS) == []
    assert "no viewport tertiary" in view_content_problems({"tertiary": ["ct-image"]}, TWO_VIEWPORTS)[0]
    assert "schema" in view_content_problems({"main": []}, None)[0]


def test_the_api_keeps_them_and_a_study_shows_its_cases_with_them(app):  # noqa: F811  # the imported fixture
    call = app.call
    protocol = {"slug": "axial-coronal", "title": "Axial and coronal", "layout": TWO_VIEWPORTS}
    assert ok(call("POST", "hanging-protocols", "researcher", protocol), 201)["layout"] == TWO_VIEWPORTS
    status, reply = call("POST", "hanging-protocols", "researcher", {**protocol, "slug": "bad", "layout": []})
    assert status == 422 and "does not fit its schema" in reply["message"]
    status, _ = call("POST", "hanging-protocols", "clinician", {**protocol, "slug": "mine"})
    assert status == 403
    lung = {"title": "Lung", "width": 1500, "center": -600}
    segments = [{"voxel_value": 1, "name": "nodule", "visible": False}]
    settings = {"window_presets": [lung], "default_window_preset": "Lung", "link_zooming": False,
                "overlay_segments": segments}  # fmt: skip
    config = {"slug": "ct-lung", "title": "CT lung", "settings": settings}
    kept = ok(call("POST", "viewer-configurations", "researcher", config), 201)["settings"]
    assert kept["link_zooming"] is False and kept["link_slicing"] is True and kept["default_window_preset"] == "Lung"
    status, reply = call(
        "PATCH", "viewer-configurations/ct-lung", "researcher", {"settings": {"default_window_preset": "Bone"}}
    )
    assert status == 422 and "not one of the presets" in reply["message"]
    status, _ = call("PATCH", "viewer-configurations/ct-lung", "clinician", {"title": "Mine"})
    assert status == 403
    assert ok(call("GET", "viewer-configurations", "clinician"))["count"] == 1  # readers read them

    ok(call("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest"}), 201)
    ok(call("POST", "sockets", "researcher", {"slug": "scan", "title": "Scan", "kind": "image"}), 201)
    change = {"viewer_configuration": "ct-lung", "hanging_protocol": "axial-coronal",
              "view_content": {"main": ["scan"], "secondary": ["scan"]}}  # fmt: skip
    study = ok(call("PATCH", "reader-studies/chest", "researcher", change))
    assert (study["viewer_configuration"], study["hanging_protocol"]) == ("ct-lung", "axial-coronal")
    assert study["view_content"] == {"main": ["scan"], "secondary": ["scan"]}
    status, reply = call("PATCH", "reader-studies/chest", "researcher", {"view_content": {"tertiary": ["scan"]}})
    assert status == 422 and "no viewport tertiary" in reply["message"]
    status, reply = call("PATCH", "reader-studies/chest", "researcher", {"view_content": {"main": ["nothing"]}})
    assert status == 422 and "no socket nothing" in reply["message"]
    status, reply = call("PATCH", "reader-studies/chest", "researcher", {"hanging_protocol": "nope"})
    assert status == 422 and "no hanging protocol 'nope'" in reply["message"]
    ok(call("DELETE", "viewer-configurations/ct-lung", "researcher"), 204)
    assert ok(call("GET", "reader-studies/chest", "researcher"))["viewer_configuration"] is None
