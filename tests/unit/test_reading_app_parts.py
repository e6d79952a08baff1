"""The reading app's pure parts: window/level presets, answers made of clicks, reading order."""

import pytest

from gc_extension.reading.annotations import ClickCollector, describe
from gc_extension.reading.reading_order import first_unfinished, is_done
from gc_extension.reading.windowing import AUTO, FULL_RANGE, intensity_range
from services.core.schemas import SocketKind, value_problem


def test_ct_presets_are_width_and_level_in_hounsfield_units():
    assert intensity_range("Soft tissue", (0, 1), -1000, 3000) == (-160, 240)
    assert intensity_range("Lung", (0, 1), -1000, 3000) == (-1350, 150)


def test_auto_takes_the_percentiles_and_full_range_the_extremes():
    assert intensity_range(AUTO, (10, 90), 0, 100) == (10.0, 90.0)
    assert intensity_range(AUTO, (5, 5), 0, 100) == (0.0, 100.0)  # a flat image: its whole range
    assert intensity_range(FULL_RANGE, (10, 90), 0, 100) == (0.0, 100.0)
    with pytest.raises(ValueError, match="choose one of"):
        intensity_range("Sunset", (0, 1), 0, 1)


@pytest.mark.parametrize(
    ("kind", "clicks", "expected"),
    [
        ("point", [(1, 2, 3), (4, 5, 6.123456)], {"type": "Point", "point": [4, 5, 6.123]}),
        (
            "multiple-points",
            [(1, 2, 3), (4, 5, 6)],
            {"type": "Multiple points", "points": [{"point": [1, 2, 3]}, {"point": [4, 5, 6]}]},
        ),
        (
            "2d-bounding-box",
            [(1, 2, 3), (4, 6, 3.5)],
            {"type": "2D bounding box", "corners": [[1, 2, 3], [4, 2, 3], [4, 6, 3], [1, 6, 3]]},
        ),
    ],
)
def test_clicks_become_answers_that_fit_the_platforms_schemas(kind, clicks, expected):
    collector, answer = ClickCollector(kind), None
    for position in clicks:
        answer = collector.click(answer, position) or answer
    assert answer == expected
    assert value_problem(SocketKind(kind), answer, {}) is None


def test_a_box_waits_for_its_second_corner():
    collector = ClickCollector("2d-bounding-box")
    assert collector.click(None, (1, 2, 3)) is None
    assert collector.click(None, (3, 4, 3))["corners"][2] == [3, 4, 3]
    assert collector.click(None, (5, 5, 5)) is None  # a new box begins


def test_answers_read_as_a_reader_reads_them():
    assert describe("bool", True) == "yes"
    assert describe("point", {"type": "Point", "point": [1.5, 2, 3]}) == "(1.5, 2, 3)"
    assert describe("multiple-choice", ["a", "b"]) == "a, b"
    assert describe("float", None) == "not answered"


def test_reading_goes_on_at_the_first_case_with_a_required_question_open():
    questions = [{"id": 1, "required": True}, {"id": 2, "required": False}]
    cases = [{"id": 10}, {"id": 11}, {"id": 12}]
    answers = {(1, 10): True, (2, 11): "optional only"}
    assert is_done(cases[0], questions, answers) and not is_done(cases[1], questions, answers)
    assert first_unfinished(cases, questions, answers) == 1
    assert first_unfinished(cases, questions, {(1, c["id"]): 0 for c in cases}) == 0
