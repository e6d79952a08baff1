"""The reading app's answer fields, as built by the workstation image's own Python (ipywidgets 7):
what a reader does to each becomes the answer the API takes, or a message."""

import html
import json

import docker
import pytest
from traitlets.config import Config

from hub_config.settings import GcHub

pytestmark = pytest.mark.stack

SCRIPT = """
import json
from gc_extension.reading.fields import answer_field

def question(kind, choices=(), required=True, options=None):
    return {"id": 1, "kind": kind, "answer_type": kind.title(), "text": "Q", "help_text": "", "required": required,
            "options": options or {}, "choices": [{"id": i, "title": t, "default": False} for i, t in choices]}

saved = []
keep = lambda field, value: saved.append([field.kind, value])
yes_no, choice, several, number, whole, text, point, points, box, polygon = (
    answer_field(question(*q), keep) for q in [
    ("bool",), ("choice", [(11, "low"), (12, "high")]), ("multiple-choice", [(21, "a"), (22, "b"), (23, "c")]),
    ("float", (), True, {"minimum": 0, "maximum": 100}), ("integer",), ("string", (), False), ("point",),
    ("multiple-points",), ("2d-bounding-box",), ("polygon",)])
yes_no.input.value = False
choice.input.value = 12  # "high", saved by its option's id
several.boxes[23].value = True
several.boxes[21].value = True
number.input.value = "12,5"
number.input.value = "lots"
whole.input.value = "1.5"
text.input.value = "   "
point.click([1, 2, 3])
points.click([1, 2, 3]); points.click([4, 5, 6])
box.click([0, 0, 1]); box.click([2, 3, 1])
number.show(40.0)  # a saved answer shown again is not saved again
print(json.dumps({"saved": saved, "number": number.status.value, "whole": whole.status.value,
                  "box_hint": box.hint.value, "shown": number.input.value,
                  "choice_labels": list(choice.input._options_labels), "polygon": polygon.hint.value}))
"""


VERSION = {"major": 1, "minor": 0}  # grand-challenge's annotation version, in every annotation answer


def test_each_kind_of_field_gives_the_answer_the_api_takes():
    image = GcHub.load(Config()).workstation_image
    output = docker.from_env().containers.run(image, ["python", "-c", SCRIPT], remove=True, network_disabled=True)
    result = json.loads(output.decode().strip().splitlines()[-1])
    assert result["saved"] == [
        ["bool", False],
        ["choice", 12],
        ["multiple-choice", [23]],
        ["multiple-choice", [21, 23]],
        ["float", 12.5],
        ["string", None],  # blank text clears an optional answer
        ["point", {"type": "Point", "version": VERSION, "point": [1.0, 2.0, 3.0]}],
        ["multiple-points", {"type": "Multiple points", "version": VERSION, "points": [{"point": [1.0, 2.0, 3.0]}]}],
        [
            "multiple-points",
            {
                "type": "Multiple points",
                "version": VERSION,
                "points": [{"point": [1.0, 2.0, 3.0]}, {"point": [4.0, 5.0, 6.0]}],
            },
        ],
        [
            "2d-bounding-box",
            {
                "type": "2D bounding box",
                "version": VERSION,
                "corners": [[0.0, 0.0, 1.0], [2.0, 0.0, 1.0], [2.0, 3.0, 1.0], [0.0, 3.0, 1.0]],
            },
        ],
    ]
    assert "'lots' is not a number. Type a number from 0 to 100." in html.unescape(result["number"])
    assert "'1.5' is not a whole number." in html.unescape(result["whole"])
    assert "click" in result["box_hint"].lower()
    assert result["shown"] == "40"
    assert result["choice_labels"] == ["low", "high"]  # the reader sees the titles
    assert "then press Finish" in result["polygon"]  # a polygon is clicked corner by corner
