"""A reader study read straight through, in headless Chromium: without case navigation the
reading app shows no *Previous case*, goes on only once a case is answered, locks a finished
case's answers (answer modification off, saying why) but not its optional questions until they
are answered, and shows the study's end text after the last case. Its cases are tiny
(32 x 32 x 16): software WebGL is slow."""

import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_reading_app import StudyAPI, question, reading_hub, restart_app, wait_saved, workstation  # noqa: F401

from services.contract import store_image
from services.core.database import make_engine
from services.core.orm import Archive, ArchiveItem, ArchiveRole, Socket, grant, make_value

pytestmark = [pytest.mark.stack, pytest.mark.browser, pytest.mark.webgl]

END_TEXT = "Thank you for reading!\n<b>Not bold</b>: the editor's words are shown as they wrote them."


def tiny_archive(hub, slug, cases=2):
    """An archive of ``cases`` tiny scans that the researcher edits and the clinician may read."""
    with Session(make_engine(hub.settings.database_url)) as session, tempfile.TemporaryDirectory() as folder:
        socket = session.scalar(select(Socket).filter_by(slug="ct-image"))
        archive = Archive(slug=slug, title=slug, created_by="researcher")
        for number in range(cases):
            image = sitk.GetImageFromArray(np.full((16, 32, 32), 100 * number, dtype=np.int16))
            path = Path(folder, f"scan-{number}.mha")
            sitk.WriteImage(image, str(path), True)
            stored = store_image(session, path, hub.settings.data_dir, owner="researcher")
            session.add(ArchiveItem(archive=archive, values=[make_value(session, socket, image=stored)]))
        session.flush()
        grant(session, archive, "researcher", ArchiveRole.EDITOR)
        grant(session, archive, "clinician", ArchiveRole.USER)
        session.commit()


def straight_through_study(hub, slug):
    """A study of two titled cases read forward only, its answers final once given."""
    tiny_archive(hub, slug)
    editor = StudyAPI(hub, "researcher", slug)
    settings = {"allow_case_navigation": False, "allow_answer_modification": False, "end_of_study_text": END_TEXT}
    editor.call("POST", json={"slug": slug, "title": "Straight through", **settings}, expect=201)
    editor.call("POST", f"/{slug}/cases", json={"archive": slug}, expect=201)
    editor.call("POST", f"/{slug}/questions", json={"text": "Anything there?", "kind": "bool"}, expect=201)
    optional = {"text": "Size (mm)", "kind": "float", "required": False}
    editor.call("POST", f"/{slug}/questions", json=optional, expect=201)
    editor.call("POST", f"/{slug}/members", json={"username": "clinician", "role": "reader"}, expect=201)
    for number, case in enumerate(editor.get("/cases")["results"], 1):
        body = {"title": f"Scan {number}", "text": f"Look at scan {number}."}
        editor.call("PATCH", f"/{slug}/cases/{case['id']}", json=body, expect=200)


def test_a_study_without_navigation_goes_forward_only_to_its_end_text(reading_hub, workstation, artifacts):  # noqa: F811
    straight_through_study(reading_hub, f"straight-{uuid.uuid4().hex[:6]}")
    page = restart_app(workstation)
    page.locator(".gc-open-study", has_text="Straight through").click()
    page.locator(".gc-progress", has_text="Case 1 of 2: Scan").wait_for(timeout=60_000)
    assert page.locator(".gc-study button", has_text="Previous case").count() == 0
    assert page.locator(".gc-case-text").inner_text().startswith("Look at scan")
    next_case = page.locator("button.gc-next-case")
    assert next_case.is_disabled()  # not before the case is answered

    question(page, "bool").locator("button", has_text="Yes").click()
    wait_saved(page, "bool")
    page.locator(".gc-locked", has_text="does not let readers change").wait_for(timeout=30_000)
    assert question(page, "bool").locator("button", has_text="No").is_disabled()
    size = question(page, "float").locator("input")
    assert size.is_enabled()  # the optional question not answered yet stays open
    size.fill("4")
    size.press("Enter")
    wait_saved(page, "float")
    page.wait_for_function("document.querySelector('.gc-question-float input').disabled", timeout=30_000)
    next_case.click()
    page.locator(".gc-progress", has_text="Case 2 of 2").wait_for(timeout=60_000)
    assert page.locator(".gc-end-of-study").inner_text().strip() == ""

    question(page, "bool").locator("button", has_text="No").click()
    end = page.locator(".gc-end-of-study", has_text="Thank you for reading!")
    end.wait_for(timeout=30_000)
    page.screenshot(path=artifacts / "reading-settings-end.png")
    assert "<b>Not bold</b>" in end.inner_text()  # escaped, not rendered
    assert next_case.is_disabled()  # nothing after the last case
