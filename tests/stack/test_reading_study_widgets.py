"""The reading app's study screen, built by the workstation image's own Python (ipywidgets 7)
with a stand-in client and viewer: it follows the study's settings without a browser."""

import json

import docker
import pytest
from traitlets.config import Config

from hub_config.settings import GcHub

pytestmark = pytest.mark.stack

SCRIPT = """
import json
import ipywidgets as w
import gc_extension.reading.study as study
from gc_extension.errors import GcError

class Viewer:
    def __init__(self, client, on_click=None):
        self.widget = w.VBox()
    def use(self, *args):
        pass
    def show(self, *args, **kwargs):
        pass

QUESTIONS = [
    {"id": 1, "kind": "bool", "answer_type": "Bool", "text": "Seen?", "help_text": "", "required": True,
     "options": {}, "choices": []},
    {"id": 2, "kind": "string", "answer_type": "Text", "text": "Notes", "help_text": "", "required": False,
     "options": {}, "choices": []},
]
CASES = [{"id": i, "title": f"Scan {i}", "text": f"Read <i>{i}</i>", "values": {}} for i in (10, 11, 12)]
SETTINGS = {"allow_case_navigation": False, "allow_answer_modification": False, "roll_over_answers_for_n_cases": 1,
            "educational": True, "instant_verification": True, "leaderboard_accessible_to_readers": False}

class Client:
    refuse = False
    saved = []
    def reader_study(self, slug):
        return {"title": "Study", "my_roles": ["reader"], "questions": QUESTIONS, "cases": CASES, **SETTINGS}
    def viewing(self, study):  # no viewer configuration, no hanging protocol
        return {}, None
    def reading_progress(self, slug):  # my own order of the cases: 12 first
        return {"case_ids": [12, 10, 11], "next_case": 10, "rolled_over_answers": {"1": True, "2": "as before"},
                "end_of_study_text": ""}
    def my_answers(self, slug):
        return {(1, 12): True, (2, 12): "as before"}
    def save_answer(self, slug, question, case, value):
        if self.refuse:
            raise GcError("This study is read case by case in order: answer case 10 first.", status=409)
        self.saved.append([question, case, value])
    def reveal_ground_truth(self, slug, case):
        return {"case": case, "answers": [{"question": 1, "value": True, "explanation": "The bright spot.",
                                           "my_answer": True, "score": 1.0}]}

study.CaseViewer = Viewer
client = Client()
reader = study.StudyReader(client, "s", {}, on_close=lambda: None)
seen = {"order": [c["id"] for c in reader.cases], "saved": list(client.saved), "progress": reader.progress.value,
        "about": reader.about.value, "status": reader.fields[0].status.value, "truth": reader.truth.value,
        "locked": reader.locked.value, "locked_input": reader.fields[0].input.disabled,
        "has_previous": reader.previous in reader.widget.children[1].children,
        "next_disabled": reader.next.disabled}
reader.next.click()
client.refuse = True
reader.fields[0].input.value = False
seen.update(after={"progress": reader.progress.value, "status": reader.fields[0].status.value,
                   "locked_input": reader.fields[0].input.disabled})
print(json.dumps(seen))
"""


def test_the_study_screen_follows_the_settings():
    image = GcHub.load(Config()).workstation_image
    output = docker.from_env().containers.run(image, ["python", "-c", SCRIPT], remove=True, network_disabled=True)
    seen = json.loads(output.decode().strip().splitlines()[-1])
    assert seen["order"] == [12, 10, 11]  # the reader's own order, from the API
    assert "Case 2 of 3: <b class='gc-case-title'>Scan 10</b>" in seen["progress"]  # case 12 done: on to 10
    assert "Read &lt;i&gt;10&lt;/i&gt;" in seen["about"]  # the case's text, escaped
    assert seen["saved"] == [[2, 10, "as before"], [1, 10, True]]  # rolled over, the optional one first
    assert "Carried over from the previous case" in seen["status"]
    assert "The bright spot." in seen["truth"]  # instant verification, with the explanation
    assert "final" in seen["locked"] and seen["locked_input"]
    assert not seen["has_previous"] and not seen["next_disabled"]
    after = seen["after"]
    assert "Case 3 of 3" in after["progress"] and not after["locked_input"]
    assert "Not saved: This study is read case by case in order: answer case 10 first." in after["status"]


DRAWING = """
import json
import numpy as np
import SimpleITK as sitk
from gc_extension.reading.annotations import ClickCollector, handles, outlines
from gc_extension.reading.viewer import CaseViewer, Marks

class Client:
    pass

viewer = CaseViewer(Client())
collector, answer = ClickCollector("multiple-distances"), None
for click in [(1, 2, 3), (9, 2, 3), (4, 4, 3), (4, 9, 3)]:
    answer = collector.click(answer, click) or answer
viewer.show_images(sitk.Image(16, 16, 4, sitk.sitkInt16), title="blank")
drawn = {}
viewer.draw([Marks([], [[5, 5, 3]], (1.0, 0.8, 0.0))])  # one geometry first, then two
viewer.draw([Marks(outlines("multiple-distances", answer), handles("multiple-distances", answer), (1.0, 0.8, 0.0)),
             Marks([], [[5, 5, 3]], (0.2, 0.85, 0.3))])
shown = viewer.shown[0][0]
drawn["geometries"] = len(shown.geometries)
cells = shown.geometries[0]["lines"]["values"].tolist()
drawn["lines"] = cells[:6]
lines, i = [], 0
while i < len(cells):  # a vtk.js cell array: each polyline's length, then its points
    lines.append(cells[i])
    i += cells[i] + 1
drawn["line_count"] = len(lines)
drawn["colours"] = shown.geometry_colors.tolist()
viewer.draw([])
drawn["cleared"] = len(shown.geometries)
print(json.dumps(drawn))
"""


def test_answers_are_drawn_on_a_real_itkwidgets_viewer_and_cleared():
    image = GcHub.load(Config()).workstation_image
    output = docker.from_env().containers.run(image, ["python", "-c", DRAWING], remove=True, network_disabled=True)
    drawn = json.loads(output.decode().strip().splitlines()[-1])
    assert drawn["geometries"] == 2
    assert drawn["lines"] == [2, 0, 1, 2, 2, 3]  # two distances, each a line of two points (vtk.js cells)
    assert drawn["line_count"] == 2 + 4 * 3  # ... and a cross of three lines at each end
    assert drawn["colours"] == [
        [1.0, 0.800000011920929, 0.0],
        [0.20000000298023224, 0.8500000238418579, 0.30000001192092896],
    ]
    assert drawn["cleared"] == 0
