"""A clinician reads a reader study in the workstation's reading app, in headless Chromium with
every address outside this machine blocked: log in, start a workstation, open the study, see the
case in the viewer, answer every question (a point by clicking on the slice), go on to the next
case. The study's editor then sees the answers and the reader's score; answers that break a
question's schema or name a case outside the study are refused with clear messages."""

import os
import time
import uuid
import warnings

import docker
import pytest
import requests
from playwright.sync_api import sync_playwright

from browser import collect_errors, hub_login, launch_chromium, local_only_context, widget_errors
from hubtools import remove_home_volumes, running_hub
from services.demo import seed_demo
from services.launcher import example_image_ids

pytestmark = [pytest.mark.stack, pytest.mark.browser]

QUESTIONS = [
    {"text": "Is there a bright structure?", "kind": "bool"},
    {"text": "How confident are you?", "kind": "choice", "options": {"choices": ["low", "medium", "high"]}},
    {"text": "Foreground (%)", "kind": "float", "options": {"minimum": 0, "maximum": 100}},
    {"text": "Centre of the structure", "kind": "point"},
    {"text": "Findings", "kind": "string", "required": False},
]

# Marks the viewer's WebGL canvas (the largest canvas of the reading app) once it is laid out.
VIEWER_CANVAS = """() => {
    const area = c => c.clientWidth * c.clientHeight;
    const canvas = [...document.querySelectorAll('.gc-viewer canvas')].sort((a, b) => area(b) - area(a))[0];
    if (!canvas || area(canvas) < 200 * 200) return null;
    canvas.setAttribute('data-test', 'viewer-canvas');
    return [canvas.clientWidth, canvas.clientHeight];
}"""


@pytest.fixture(scope="module")
def reading_hub(tmp_path_factory):
    """A hub of its own with the demo content: its archive gives the study's cases."""
    data_dir = tmp_path_factory.mktemp("gc-hub-reading")
    instance = f"gc-hub-read{os.getpid()}"
    try:
        with running_hub(data_dir, instance) as hub:
            seed_demo(hub.settings.database_url, hub.settings.data_dir, image_ids=example_image_ids())
            yield hub
    finally:
        remove_home_volumes(instance)
        for container in docker.from_env().containers.list(all=True, filters={"label": f"org.gc-hub.instance={instance}"}):
            container.remove(force=True)


class StudyAPI:
    """The reader-study API of one study, as one user."""

    def __init__(self, hub, username, slug):
        self.base = f"{hub.url}/services/archives/api/v1/reader-studies"
        self.slug = slug
        self.headers = {"Authorization": f"token {hub.login(username).new_token()}"}

    def call(self, method, path="", expect=None, **kwargs):
        response = requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def get(self, path):
        return self.call("GET", f"/{self.slug}{path}", 200).json()


def make_study(hub, slug):
    """The researcher's study on demo-archive's three cases, with ground truth for the first."""
    editor = StudyAPI(hub, "researcher", slug)
    editor.call("POST", json={"slug": slug, "title": "Bright structures"}, expect=201)
    editor.call("POST", f"/{slug}/cases", json={"archive": "demo-archive"}, expect=201)
    questions = [editor.call("POST", f"/{slug}/questions", json=q, expect=201).json() for q in QUESTIONS]
    editor.call("POST", f"/{slug}/members", json={"username": "clinician", "role": "reader"}, expect=201)
    first = editor.get("/cases")["results"][0]["id"]
    truth = [True, "high", 20.0, {"type": "Point", "point": [22.05, 22.05, 31.0]}]
    rows = [{"case": first, "question": q["id"], "value": v} for q, v in zip(questions, truth)]
    editor.call("POST", f"/{slug}/ground-truth", json=rows, expect=201)
    return editor, questions


def question(page, kind):
    return page.locator(f".gc-question-{kind}")


def wait_saved(page, kind):
    question(page, kind).locator("text=Saved").wait_for(timeout=30_000)


def test_clinician_reads_a_study_in_the_workstation(reading_hub, artifacts):
    hub = reading_hub
    slug = f"bright-{uuid.uuid4().hex[:6]}"
    editor, questions = make_study(hub, slug)
    by_kind = {q["kind"]: q for q in questions}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors = collect_errors(page)
        try:
            hub_login(page, hub.url, "clinician", hub.passwords["user_password"])
            page.goto(f"{hub.url}/hub/spawn")
            assert page.locator("input[name=profile]").count() == 1  # clinicians start only workstations
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(lambda url: "/notebooks/gc-hub-reading.ipynb" in url, timeout=180_000)
            page.locator(".gc-open-study", has_text="Bright structures").click(timeout=90_000)
            page.locator(".gc-progress", has_text="Case 1 of 3").wait_for(timeout=60_000)
            canvas = page.wait_for_function(VIEWER_CANVAS, polling=200, timeout=120_000)
            width, height = canvas.json_value()
            time.sleep(3)  # SwiftShader draws the first slices slowly
            page.screenshot(path=artifacts / "reading-app-case.png")

            question(page, "bool").locator("button", has_text="Yes").click()
            wait_saved(page, "bool")
            question(page, "choice").locator("button", has_text="high").click()
            wait_saved(page, "choice")

            number = question(page, "float").locator("input")
            number.fill("lots")
            number.press("Enter")
            question(page, "float").locator("text='lots' is not a number").wait_for(timeout=30_000)
            number.fill("150")  # the server checks the bounds
            number.press("Enter")
            refused = question(page, "float").locator("text=Not saved")
            refused.wait_for(timeout=30_000)
            refusal = refused.inner_text()
            number.fill("20")
            number.press("Enter")
            wait_saved(page, "float")

            # The point question listens to the viewer: a click on the slice answers it.
            page.evaluate("document.querySelector('[data-test=viewer-canvas]').scrollIntoView({block: 'center'})")
            box = page.locator("[data-test=viewer-canvas]").bounding_box()
            x, y = box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2 + 30  # off the centred labels
            for step in range(5, 0, -1):  # the viewer picks the voxel under the pointer as it moves
                page.mouse.move(x - 5 * step, y - 5 * step)
            page.mouse.click(x, y)
            wait_saved(page, "point")
            shown_point = question(page, "point").locator("code").inner_text()
            page.locator(".gc-progress", has_text="1 of 3 cases answered").wait_for(timeout=30_000)
            page.screenshot(path=artifacts / "reading-app-answered.png")

            page.locator(".gc-next-case button, button.gc-next-case").first.click()
            page.locator(".gc-progress", has_text="Case 2 of 3").wait_for(timeout=60_000)
            assert question(page, "point").locator("code").inner_text() == "not answered"
        finally:
            page.screenshot(path=artifacts / "reading-app-last.png")
            browser.close()
            hub.login("clinician").stop_server()

    seen = f"page errors: {errors}; blocked: {blocked}"
    assert width >= 200 and height >= 200, seen
    assert "150" in refusal and "maximum" in refusal, refusal
    assert not widget_errors(errors), seen
    if blocked:
        warnings.warn(f"the reading app tried to reach outside this machine: {blocked}")

    # The editor sees the clinician's answers, the point where it was clicked, and the score.
    answers = {a["question"]: a for a in editor.get("/answers")["results"] if a["reader"] == "clinician"}
    assert answers[by_kind["bool"]["id"]]["value"] is True
    assert answers[by_kind["choice"]["id"]]["value"] == "high"
    assert answers[by_kind["float"]["id"]]["value"] == 20.0
    point = answers[by_kind["point"]["id"]]["value"]["point"]
    assert shown_point == "(" + ", ".join(f"{c:g}" for c in point) + ")"
    assert all(0 <= c <= 64 for c in point), point  # on the 64 x 64 x 32 scan (0.7 x 0.7 x 2 mm)
    scores = {r["reader"]: r for r in editor.get("/scores")["readers"]}
    assert 0.75 <= scores["clinician"]["score"] <= 1.0, scores


def test_answers_outside_the_study_or_its_schema_are_refused(reading_hub):
    slug = f"refuse-{uuid.uuid4().hex[:6]}"
    editor, questions = make_study(reading_hub, slug)
    other, _ = make_study(reading_hub, f"other-{slug}")
    reader = StudyAPI(reading_hub, "clinician", slug)
    case = reader.get("/cases")["results"][0]["id"]
    foreign_case = other.get("/cases")["results"][0]["id"]
    by_kind = {q["kind"]: q["id"] for q in questions}

    def answer(question, case_id, value):
        body = {"question": question, "case": case_id, "value": value}
        return reader.call("POST", f"/{slug}/answers", json=body)

    outside = answer(by_kind["bool"], foreign_case, True)
    assert outside.status_code == 404 and f"No case {foreign_case} in reader study {slug!r}" in outside.json()["message"]
    wrong_kind = answer(by_kind["point"], case, {"type": "Point", "point": [1, 2]})
    assert wrong_kind.status_code == 422 and "Centre of the structure" in wrong_kind.json()["message"]
    not_a_choice = answer(by_kind["choice"], case, "certain")
    assert not_a_choice.status_code == 422 and "certain" in not_a_choice.json()["message"]
    assert answer(by_kind["bool"], case, True).status_code == 201
    assert reader.get("/answers")["count"] == 1  # the refusals saved nothing
