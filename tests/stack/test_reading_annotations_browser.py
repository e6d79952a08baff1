"""Annotation answers by clicks on the slice, in headless Chromium: a distance answered with two
clicks is saved in grand-challenge's shape and drawn on the slice; a polygon takes its corners
and *Finish*, and says what it still needs when finished too early. The case is small
(64 x 64 x 16): software WebGL is slow."""

import io
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_reading_app import StudyAPI, question, reading_hub, restart_app, wait_for_canvases, wait_saved, workstation  # noqa: F401

from services.contract import store_image
from services.core.database import make_engine
from services.core.orm import Archive, ArchiveItem, ArchiveRole, Socket, grant, make_value

pytestmark = [pytest.mark.stack, pytest.mark.browser, pytest.mark.webgl]


def square_archive(hub, slug):
    """An archive of one scan, a bright square on a dark background, that the clinician may read."""
    with Session(make_engine(hub.settings.database_url)) as session, tempfile.TemporaryDirectory() as folder:
        socket = session.scalar(select(Socket).filter_by(slug="ct-image"))
        archive = Archive(slug=slug, title=slug, created_by="researcher")
        pixels = np.zeros((16, 64, 64), dtype=np.int16)
        pixels[:, 16:48, 16:48] = 1000
        path = Path(folder, "square.mha")
        sitk.WriteImage(sitk.GetImageFromArray(pixels), str(path), True)
        stored = store_image(session, path, hub.settings.data_dir, owner="researcher")
        session.add(ArchiveItem(archive=archive, values=[make_value(session, socket, image=stored)]))
        session.flush()
        grant(session, archive, "researcher", ArchiveRole.EDITOR)
        grant(session, archive, "clinician", ArchiveRole.USER)
        session.commit()


def measuring_study(hub, slug):
    square_archive(hub, slug)
    editor = StudyAPI(hub, "researcher", slug)
    editor.call("POST", json={"slug": slug, "title": "Measuring"}, expect=201)
    editor.call("POST", f"/{slug}/cases", json={"archive": slug}, expect=201)
    for text, kind, required in [("How wide is the square?", "distance", True), ("Outline it", "polygon", False)]:
        body = {"text": text, "kind": kind, "required": required}
        editor.call("POST", f"/{slug}/questions", json=body, expect=201)
    editor.call("POST", f"/{slug}/members", json={"username": "clinician", "role": "reader"}, expect=201)
    return StudyAPI(hub, "clinician", slug)


def answers(reader):
    """The reader's answers, by question text."""
    texts = {q["id"]: q["text"] for q in reader.get("/questions")["results"]}
    return {texts[a["question"]]: a["value"] for a in reader.get("/answers")["results"]}


def coloured_pixels(page):
    """How many pixels of the viewer's slice are coloured (answers are drawn in colour on a grey
    image)."""
    box = page.locator("[data-test=viewer-canvas]").bounding_box()
    shot = page.screenshot(clip=box)
    rgb = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 80).sum())


def click_on_slice(page, dx, dy, until, attempts=4):
    """Click the slice ``(dx, dy)`` pixels from its centre until ``until`` (a locator) shows: the
    viewer picks the voxel under the pointer only once it has drawn the slice."""
    for _ in range(attempts):
        box = page.locator("[data-test=viewer-canvas]").bounding_box()
        x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
        for step in range(5, 0, -1):
            page.mouse.move(x - 3 * step, y - 3 * step)
        page.mouse.click(x, y)
        try:
            until.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            continue
    until.wait_for(timeout=1)  # fails with the locator in its message


def test_a_distance_answered_with_two_clicks_is_saved_and_drawn(reading_hub, workstation, artifacts):  # noqa: F811
    reader = measuring_study(reading_hub, f"measuring-{uuid.uuid4().hex[:6]}")
    page = restart_app(workstation)
    page.locator(".gc-open-study", has_text="Measuring").click()
    page.locator(".gc-progress", has_text="Case 1 of 1").wait_for()
    wait_for_canvases(page)
    page.evaluate("document.querySelector('[data-test=viewer-canvas]').scrollIntoView({block: 'center'})")
    distance = question(page, "distance")
    before = coloured_pixels(page)

    click_on_slice(page, -60, -20, distance.locator("text=Click the other end."))
    click_on_slice(page, 60, 20, distance.locator("text=Saved"))
    answer = answers(reader)["How wide is the square?"]
    assert answer["type"] == "Distance measurement" and answer["version"] == {"major": 1, "minor": 0}, answer
    start, end = np.array(answer["start"]), np.array(answer["end"])
    assert start[0] < end[0] and start[1] < end[1] and start[2] == end[2]  # left to right, down, on one slice
    shown = distance.locator(".gc-annotation").inner_text()
    assert shown.endswith(" mm") and float(shown.split()[0]) == pytest.approx(np.linalg.norm(end - start), abs=0.1)
    page.wait_for_timeout(3000)  # software WebGL draws the line
    after = coloured_pixels(page)
    page.screenshot(path=artifacts / "reading-distance-drawn.png")
    assert after > before + 40, f"the distance is not drawn: {before} coloured pixels before, {after} after"

    polygon = question(page, "polygon")
    polygon.locator("button", has_text="Pick in viewer").click()
    click_on_slice(page, -40, 30, polygon.locator("text=1 point so far"))
    click_on_slice(page, 40, 30, polygon.locator("text=2 points so far"))
    polygon.locator("button", has_text="Finish").click()
    polygon.locator("text=To finish a polygon, click 1 more point on the slice.").wait_for()
    click_on_slice(page, 0, -40, polygon.locator("text=3 points so far"))
    polygon.locator("button", has_text="Finish").click()
    wait_saved(page, "polygon")
    outline = answers(reader)["Outline it"]
    assert len(outline["path_points"]) == 3 and outline["seed_point"] == outline["path_points"][0]
    page.screenshot(path=artifacts / "reading-polygon-drawn.png")
