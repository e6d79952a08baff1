"""A reader study with a hanging protocol and a viewer configuration, read in the workstation's
reading app in headless Chromium: an axial and a coronal viewport side by side as the protocol
lays them out, their slices linked in the browser, and the segment the configuration hides
hidden."""

import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
import SimpleITK as sitk
from browser import wait_until
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_reading_app import StudyAPI, reading_hub, restart_app, wait_for_canvases, workstation  # noqa: F401 (fixtures)

from services.contract import store_image
from services.core.database import make_engine
from services.core.orm import Archive, ArchiveItem, ArchiveRole, Socket, SocketKind, grant, make_value

pytestmark = [pytest.mark.stack, pytest.mark.browser, pytest.mark.webgl]

PROTOCOL = [
    {"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 1, "orientation": "axial", "label": "Axial"},
    {"viewport_name": "secondary", "x": 1, "y": 0, "w": 1, "h": 1, "orientation": "coronal", "label": "Coronal"},
]
CONFIGURATION = {
    "link_images": True,
    "link_slicing": True,
    "overlay_segments": [
        {"voxel_value": 1, "name": "Organ", "visible": True},
        {"voxel_value": 2, "name": "Lesion", "visible": False},
    ],
}

# The state of the itkwidgets viewers shown on the page, read from their widget models.
VIEWER_MODELS = """async () => {
    const found = [];
    for (const manager of Jupyter.WidgetManager._managers) {
        for (const [id, promise] of Object.entries(manager._models)) {
            const model = await promise;
            if (model.get('_model_name') !== 'ViewerModel' || !Object.keys(model.views || {}).length) continue;
            const weights = model.get('label_image_weights');
            found.push({id, mode: model.get('mode'), z_slice: model.get('z_slice'),
                        weights: weights ? Array.from(weights.array || weights) : null});
        }
    }
    return found;
}"""

# Moves the slice of the viewer whose model is ``id`` to ``z``, as its slice slider does.
MOVE_SLICE = """async ([id, z]) => {
    for (const manager of Jupyter.WidgetManager._managers) {
        if (!(id in manager._models)) continue;
        const model = await manager._models[id];
        model.set('z_slice', z);
        model.save_changes();
    }
}"""


# The zoom of the viewer whose model is ``id`` (its camera's parallel scale: slices are drawn
# with a parallel projection) and the camera values its model shares.
ZOOM_AND_CAMERA = """async (id) => {
    for (const manager of Jupyter.WidgetManager._managers) {
        if (!(id in manager._models)) continue;
        const model = await manager._models[id];
        const camera = model.get('camera');
        return [model.itkVtkViewer.getViewProxy().getCamera().getParallelScale(),
                Array.from(camera.slice ? camera : new Float32Array(camera.buffer))];
    }
}"""


# Where on the page the middle of a viewport's slice is: the centre of its largest canvas.
CENTRE_OF_THE_SLICE = """(pane) => {
    const area = c => c.clientWidth * c.clientHeight;
    const canvas = [...document.querySelectorAll(`${pane} canvas`)].sort((a, b) => area(b) - area(a))[0];
    const box = canvas.getBoundingClientRect();
    return [box.x + box.width / 2, box.y + box.height / 2];
}"""


def segmented_archive(hub, slug):
    """An archive with one 64 × 64 × 48 case: a scan and a segmentation of two segments (an organ,
    1, with a lesion, 2, in it), which the researcher edits and the clinician may read."""
    size = [64, 64, 48]
    organ = sitk.GaussianSource(sitk.sitkFloat32, size=size, sigma=[12, 10, 9], mean=[32, 32, 24], scale=1)
    lesion = sitk.GaussianSource(sitk.sitkFloat32, size=size, sigma=[3, 3, 3], mean=[38, 30, 26], scale=1)
    scan = sitk.Cast(organ * 300 + lesion * 200 - 100, sitk.sitkInt16)
    mask = sitk.Cast(organ > 0.5, sitk.sitkUInt8) + sitk.Cast(lesion > 0.5, sitk.sitkUInt8)
    for image in (scan, mask):
        image.SetSpacing((0.8, 0.8, 1.0))
    with Session(make_engine(hub.settings.database_url)) as session, tempfile.TemporaryDirectory() as folder:
        values = []
        for name, kind, image in (
            ("ct-image", SocketKind.IMAGE, scan),
            ("segmentation", SocketKind.SEGMENTATION, mask),
        ):
            socket = session.scalar(select(Socket).filter_by(slug=name)) or Socket(
                slug=name, title=name, kind=kind, created_by="researcher"
            )
            path = Path(folder, f"{name}.mha")
            sitk.WriteImage(image, str(path), True)
            values.append(
                make_value(session, socket, image=store_image(session, path, hub.settings.data_dir, owner="researcher"))
            )
        archive = Archive(slug=slug, title="Organ and lesion", created_by="researcher")
        session.add(ArchiveItem(archive=archive, values=values))
        session.flush()
        grant(session, archive, "researcher", ArchiveRole.EDITOR)  # who makes the study of it
        grant(session, archive, "clinician", ArchiveRole.USER)
        session.commit()


def viewing_study(hub, slug):
    """The researcher's study of that archive, hung on PROTOCOL and shown with CONFIGURATION."""
    editor = StudyAPI(hub, "researcher", slug)
    api = editor.base.rsplit("/", 1)[0]
    for kind, body in (
        ("hanging-protocols", {"layout": PROTOCOL}),
        ("viewer-configurations", {"settings": CONFIGURATION}),
    ):
        reply = requests.post(
            f"{api}/{kind}", headers=editor.headers, json={"slug": slug, "title": slug, **body}, timeout=30
        )
        assert reply.status_code == 201, reply.text
    editor.call("POST", json={"slug": slug, "title": "Organ and lesion"}, expect=201)
    editor.call("POST", f"/{slug}/cases", json={"archive": slug}, expect=201)
    editor.call("POST", f"/{slug}/questions", json={"text": "Is there a lesion?", "kind": "bool"}, expect=201)
    editor.call("POST", f"/{slug}/members", json={"username": "clinician", "role": "reader"}, expect=201)
    both = ["ct-image", "segmentation"]
    change = {"hanging_protocol": slug, "viewer_configuration": slug, "view_content": {"main": both, "secondary": both}}
    editor.call("PATCH", f"/{slug}", json=change, expect=200)


def test_a_hanging_protocol_lays_out_linked_viewports_with_the_configured_segments(reading_hub, workstation, artifacts):  # noqa: F811
    slug = f"hung-{uuid.uuid4().hex[:6]}"
    segmented_archive(reading_hub, slug)
    viewing_study(reading_hub, slug)
    page = restart_app(workstation)
    page.locator(".gc-open-study", has_text="Organ and lesion").click()
    try:
        wait_for_canvases(page, count=2, timeout=600_000)  # two viewers in software WebGL, on a busy machine
        wait_until(page, f"async () => ({VIEWER_MODELS})().then(v => v.length == 2)")
        time.sleep(5)  # SwiftShader draws the first slices slowly
    finally:
        page.screenshot(path=artifacts / "reading-viewports.png")

    axial, coronal = (page.locator(f".gc-viewport-{name}").bounding_box() for name in ("main", "secondary"))
    assert axial["x"] + axial["width"] <= coronal["x"] + 1, (axial, coronal)  # main in the left cell
    assert abs(axial["y"] - coronal["y"]) < 2, (axial, coronal)  # one row
    assert "Axial" in page.locator(".gc-viewport-main").inner_text()
    assert "Coronal" in page.locator(".gc-viewport-secondary").inner_text()
    assert "zoom is not linked" in page.locator(".gc-viewer-limitations").inner_text()

    viewers = {viewer["mode"]: viewer for viewer in page.evaluate(VIEWER_MODELS)}
    assert set(viewers) == {"z", "y"}, viewers
    assert all(viewer["weights"] == [0, 1, 0] for viewer in viewers.values()), viewers  # the lesion, 2, hidden

    moved = viewers["z"]["z_slice"] + 7.0
    page.evaluate(MOVE_SLICE, [viewers["z"]["id"], moved])
    page.wait_for_function(
        f"async () => ({VIEWER_MODELS})().then(v => v.every(m => Math.abs(m.z_slice - {moved}) < 1e-3))",
        timeout=60_000,
    )
    time.sleep(3)
    page.screenshot(path=artifacts / "reading-viewports-moved.png")

    # Zoom cannot be linked: scrolling zooms the axial viewer, and the camera it shares stays as it was.
    zoom, camera = page.evaluate(ZOOM_AND_CAMERA, viewers["z"]["id"])
    x, y = page.evaluate(CENTRE_OF_THE_SLICE, ".gc-viewport-main")
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)
    page.wait_for_function(
        f"async () => ({ZOOM_AND_CAMERA})({viewers['z']['id']!r}).then(([zoom]) => zoom != {zoom})", timeout=60_000
    )
    time.sleep(2)  # the viewer reports its camera at most every 50 ms
    assert page.evaluate(ZOOM_AND_CAMERA, viewers["z"]["id"])[1] == camera
