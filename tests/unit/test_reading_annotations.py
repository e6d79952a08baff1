"""The reading app's annotation tools: clicks on a slice become grand-challenge's answers (each
kind, validated by its schema and by gc-hub's), read back in words, and drawn back as outlines."""

import math

import pytest

from gc_extension.reading.annotations import ANNOTATION_KINDS, ClickCollector, describe, handles, hint, outlines
from services.core.answer_types import ANSWER_SCHEMAS, AnswerKind
from services.core.schemas import schema_problem_of
from tests.unit.test_answer_types import valid_on_grand_challenge

A, B, C, D = (0, 0, 5), (30, 40, 5), (30, 0, 5), (0, 40, 5)  # on the axial slice z = 5 mm

# kind: (the clicks, whether Finish follows them, the answer's own fields, what the reader reads)
CLICKED = {
    "point": ([A], False, {"point": [0, 0, 5]}, "(0, 0, 5)"),
    "2d-bounding-box": (
        [A, B],
        False,
        {"corners": [[0, 0, 5], [30, 0, 5], [30, 40, 5], [0, 40, 5]]},
        "(0, 0, 5) to (30, 40, 5)",
    ),
    "distance": ([A, B], False, {"start": [0, 0, 5], "end": [30, 40, 5]}, "50.0 mm"),
    "polygon": (
        [A, C, B],
        True,
        {"seed_point": [0, 0, 5], "path_points": [[0, 0, 5], [30, 0, 5], [30, 40, 5]], "sub_type": "", "groups": []},
        "polygon of 3 points",
    ),
    "line": (
        [A, C, B],
        True,
        {
            "seed_points": [[0, 0, 5], [30, 0, 5], [30, 40, 5]],
            "path_point_lists": [[[0, 0, 5], [30, 0, 5]], [[30, 0, 5], [30, 40, 5]]],
        },
        "line of 3 points, 70.0 mm long",
    ),
    "angle": ([A, C, A, D], False, {"lines": [[[0, 0, 5], [30, 0, 5]], [[0, 0, 5], [0, 40, 5]]]}, "90.0°"),
    "three-point-angle": ([C, A, B], False, {"angle": [[30, 0, 5], [0, 0, 5], [30, 40, 5]]}, "53.1°"),
    "ellipse": (
        [(-20, 0, 5), (20, 0, 5), (3, 10, 5)],
        False,
        {"major_axis": [[-20, 0, 5], [20, 0, 5]], "minor_axis": [[0, -10, 5], [0, 10, 5]]},
        "ellipse 40.0 × 20.0 mm",
    ),
}
SEVERAL = {
    "point": "multiple-points", "2d-bounding-box": "multiple-2d-bounding-boxes", "distance": "multiple-distances",
    "polygon": "multiple-polygons", "line": "multiple-lines", "angle": "multiple-angles",
    "three-point-angle": "multiple-three-point-angles", "ellipse": "multiple-ellipses",
}  # fmt: skip


def draw(kind, clicks, finish, answer=None):
    """The answer after ``clicks`` (and Finish), given ``answer`` so far."""
    previous, collector = answer, ClickCollector(kind)
    for click in clicks[:-1]:
        assert collector.click(answer, click) is None  # the shape waits for its next click
        assert collector.pending[-1] == list(click)
    answer = collector.click(answer, clicks[-1])
    if finish:
        assert answer is None  # a path ends with Finish
        answer = collector.finish(previous)
    assert collector.pending == []
    return answer


def valid_everywhere(kind, answer):
    assert schema_problem_of(answer, ANSWER_SCHEMAS[AnswerKind(kind)]) is None
    assert valid_on_grand_challenge(AnswerKind(kind).grand_challenge_code, answer)


@pytest.mark.parametrize("kind", list(CLICKED))
def test_clicks_make_each_kind_of_answer_in_grand_challenges_shape(kind):
    clicks, finish, fields, words = CLICKED[kind]
    answer = draw(kind, clicks, finish)
    assert answer == {"type": answer["type"], "version": {"major": 1, "minor": 0}, **fields}
    valid_everywhere(kind, answer)
    assert describe({"kind": kind}, answer) == words


@pytest.mark.parametrize("kind", list(CLICKED))
def test_each_shape_of_a_multiple_kind_is_added_to_its_answer(kind):
    several = SEVERAL[kind]
    clicks, finish, fields, words = CLICKED[kind]
    answer = draw(several, clicks, finish)
    answer = draw(several, clicks, finish, answer)
    key = next(k for k in answer if k not in ("type", "version"))
    assert answer[key] == [fields, fields]
    valid_everywhere(several, answer)
    assert describe({"kind": several}, answer) == f"{words}; {words}"


def test_every_annotation_kind_of_the_platform_has_a_tool():
    assert set(ANNOTATION_KINDS) == {kind.value for kind in AnswerKind if kind.is_annotation}


def test_a_box_on_a_coronal_slice_stays_in_that_slice():
    answer = draw("2d-bounding-box", [(0, 7, 0), (30, 7, 40)], False)
    assert answer["corners"] == [[0, 7, 0], [30, 7, 0], [30, 7, 40], [0, 7, 40]]


def test_a_polygon_or_line_says_what_it_still_needs_before_finish():
    collector = ClickCollector("polygon")
    collector.click(None, A)
    collector.click(None, B)
    with pytest.raises(ValueError, match="To finish a polygon, click 1 more point on the slice"):
        collector.finish(None)
    assert len(collector.pending) == 2  # nothing lost: one more click, then Finish
    collector.click(None, C)
    assert collector.finish(None)["path_points"][2] == [30, 0, 5]
    with pytest.raises(ValueError, match="To finish a line, click 2 more points"):
        ClickCollector("line").finish(None)


def test_the_hint_says_what_to_click_next():
    assert hint("distance") == "Click one end of the distance."
    assert hint("distance", 1) == "Click the other end."
    assert hint("three-point-angle", 1) == "Click its vertex."
    assert hint("polygon", 2).startswith("2 points so far. Click each corner")
    assert hint("multiple-distances").endswith("Each shape you finish is added to the answer.")


def test_answers_are_drawn_back_as_outlines_through_their_clicks():
    assert outlines("distance", draw("distance", [A, B], False)) == [[[0, 0, 5], [30, 40, 5]]]
    box = outlines("2d-bounding-box", draw("2d-bounding-box", [A, B], False))[0]
    assert box[0] == box[-1] and len(box) == 5  # closed
    polygon = outlines("polygon", draw("polygon", [A, C, B], True))[0]
    assert polygon == [[0, 0, 5], [30, 0, 5], [30, 40, 5], [0, 0, 5]]
    assert len(outlines("angle", draw("angle", [A, C, A, D], False))) == 2  # two lines
    assert outlines("point", draw("point", [A], False)) == []  # a point is a dot only
    assert handles("point", draw("point", [A], False)) == [[0, 0, 5]]
    ellipse = outlines("ellipse", draw("ellipse", *CLICKED["ellipse"][:2]))[0]
    assert all(math.isclose((x / 20) ** 2 + (y / 10) ** 2, 1, rel_tol=1e-6) and z == 5 for x, y, z in ellipse)
    assert outlines("multiple-distances", None) == [] and handles("distance", None) == []
