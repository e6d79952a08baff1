"""Answers take grand-challenge's shapes: every answer gc-hub can produce validates against its
answer schema (tests/unit/fixtures/grand_challenge_answer_type_schema.json, copied from its
source), and its own example answers (fixtures/grand_challenge_answer_examples.json) validate
here; the rules of which question settings go together, table by table."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from services.core.answer_types import ANSWER_SCHEMAS, GRAND_CHALLENGE_CODES, AnswerKind, with_version
from services.core.question_rules import question_problems, with_defaults
from services.core.schemas import schema_problem_of

FIXTURES = Path(__file__).parent / "fixtures"
GC_SCHEMA = json.loads((FIXTURES / "grand_challenge_answer_type_schema.json").read_text())
GC_EXAMPLES = json.loads((FIXTURES / "grand_challenge_answer_examples.json").read_text())["examples"]
XYZ = [1.5, -2.0, 30.25]


def valid_on_grand_challenge(code, value):
    """grand-challenge's own check (Question.is_answer_valid): its type, or null where its empty answer is null."""
    allowed = [{"$ref": f"#/definitions/{code}"}]
    if code not in ("TEXT", "MCHO"):
        allowed.append({"$ref": "#/definitions/null"})
    return Draft7Validator({**GC_SCHEMA, "anyOf": allowed}).is_valid(value)


# One answer of each kind as gc-hub keeps it (after with_version), the fewest fields and the most.
PRODUCED = {
    AnswerKind.BOOL: [True, False],
    AnswerKind.STRING: ["", "a nodule\nright upper lobe"],
    AnswerKind.INTEGER: [0, 12],
    AnswerKind.FLOAT: [12.5, -3],
    AnswerKind.CHOICE: [1, 42],
    AnswerKind.MULTIPLE_CHOICE: [[], [1, 3]],
    AnswerKind.POINT: [
        {"type": "Point", "point": XYZ},
        {"type": "Point", "point": XYZ, "name": "tip", "probability": 0.5},
    ],
    AnswerKind.MULTIPLE_POINTS: [
        {"type": "Multiple points", "points": []},
        {"type": "Multiple points", "points": [{"point": XYZ}, {"point": XYZ, "name": "b"}]},
    ],
    AnswerKind.BOUNDING_BOX_2D: [{"type": "2D bounding box", "corners": [XYZ] * 4}],
    AnswerKind.MULTIPLE_BOUNDING_BOXES_2D: [{"type": "Multiple 2D bounding boxes", "boxes": [{"corners": [XYZ] * 4}]}],
    AnswerKind.DISTANCE: [{"type": "Distance measurement", "start": XYZ, "end": [4, 5, 30.25]}],
    AnswerKind.MULTIPLE_DISTANCES: [{"type": "Multiple distance measurements", "lines": [{"start": XYZ, "end": XYZ}]}],
    AnswerKind.POLYGON: [
        {"type": "Polygon", "seed_point": XYZ, "path_points": [XYZ] * 3, "sub_type": "", "groups": []}
    ],
    AnswerKind.MULTIPLE_POLYGONS: [
        {
            "type": "Multiple polygons",
            "polygons": [{"seed_point": XYZ, "path_points": [XYZ] * 3, "sub_type": "", "groups": []}],
        }
    ],
    AnswerKind.LINE: [{"type": "Line", "seed_points": [XYZ, XYZ], "path_point_lists": [[XYZ, XYZ, XYZ]]}],
    AnswerKind.MULTIPLE_LINES: [
        {"type": "Multiple lines", "lines": [{"seed_points": [XYZ], "path_point_lists": [[XYZ]]}]}
    ],
    AnswerKind.ANGLE: [{"type": "Angle", "lines": [[XYZ, XYZ], [XYZ, XYZ]]}],
    AnswerKind.MULTIPLE_ANGLES: [{"type": "Multiple angles", "angles": [{"lines": [[XYZ, XYZ], [XYZ, XYZ]]}]}],
    AnswerKind.THREE_POINT_ANGLE: [{"type": "Three-point angle", "angle": [XYZ, XYZ, XYZ]}],
    AnswerKind.MULTIPLE_THREE_POINT_ANGLES: [{"type": "Multiple three-point angles", "angles": [{"angle": [XYZ] * 3}]}],
    AnswerKind.ELLIPSE: [{"type": "Ellipse", "major_axis": [XYZ, XYZ], "minor_axis": [XYZ, XYZ]}],
    AnswerKind.MULTIPLE_ELLIPSES: [
        {"type": "Multiple ellipses", "ellipses": [{"major_axis": [XYZ] * 2, "minor_axis": [XYZ] * 2}]}
    ],
}


def test_every_kind_but_the_heading_has_a_schema_and_a_produced_example():
    assert set(ANSWER_SCHEMAS) == set(PRODUCED) == set(AnswerKind) - {AnswerKind.HEADING}
    # grand-challenge's answer types, less its MASK (an image as the answer)
    assert set(GRAND_CHALLENGE_CODES.values()) == set(GC_SCHEMA["definitions"]) - {
        "null", "MASK", *(name for name in GC_SCHEMA["definitions"] if name.endswith("-object"))}  # fmt: skip


@pytest.mark.parametrize(("kind", "value"), [(kind, value) for kind, values in PRODUCED.items() for value in values])
def test_answers_gc_hub_keeps_validate_on_grand_challenge(kind, value):
    kept = with_version(kind, value)
    assert schema_problem_of(kept, ANSWER_SCHEMAS[kind]) is None
    assert valid_on_grand_challenge(kind.grand_challenge_code, kept)
    if kind.is_annotation:  # without the version grand-challenge refuses it, which is why it is added
        assert not valid_on_grand_challenge(kind.grand_challenge_code, value)
        assert kept["version"] == {"major": 1, "minor": 0}


def test_empty_answers_are_grand_challenges():
    for kind in set(AnswerKind) - {AnswerKind.HEADING}:
        assert valid_on_grand_challenge(kind.grand_challenge_code, kind.empty_value)


@pytest.mark.parametrize("code", sorted(GC_EXAMPLES))
def test_grand_challenges_examples_validate_here_and_only_as_their_kind(code):
    example = GC_EXAMPLES[code]
    fits = {kind for kind, schema in ANSWER_SCHEMAS.items() if schema_problem_of(example, schema) is None}
    mine = {kind for kind in fits if kind.grand_challenge_code == code}
    assert mine, f"grand-challenge's {code} example does not validate here"
    # the plain kinds overlap as they do there (a whole number is a number); the shapes never do
    assert all(kind.grand_challenge_code == code or not kind.is_annotation for kind in fits)


def test_wrong_annotations_are_refused_with_where():
    assert "version" in schema_problem_of({"type": "Point", "point": XYZ}, ANSWER_SCHEMAS[AnswerKind.POINT])
    problem = schema_problem_of(with_version("distance", {"type": "Distance measurement", "start": XYZ, "end": [1]}),
                                ANSWER_SCHEMAS[AnswerKind.DISTANCE])  # fmt: skip
    assert problem.startswith("at end:")


K = AnswerKind
# (kind, settings, problem expected in the message, or None when the question is fine)
RULES = [
    (K.STRING, {"widget": "text-area", "options": {"min_length": 2, "max_length": 5, "pattern": "^[A-Z]"}}, None),
    (K.STRING, {"widget": "radio-select"}, "cannot use the 'radio-select' widget"),
    (K.STRING, {}, "needs a widget"),
    (
        K.STRING,
        {"widget": "text-input", "options": {"min_length": 5, "max_length": 2}},
        "maximum length may not be below",
    ),
    (K.STRING, {"widget": "text-input", "options": {"pattern": "(["}}, "not a regular expression"),
    (K.FLOAT, {"options": {"min_length": 1}}, "for text questions alone"),
    (K.FLOAT, {"widget": "number-range", "options": {"minimum": 0, "maximum": 10, "step": 0.5}}, None),
    (
        K.FLOAT,
        {"widget": "number-range", "options": {"minimum": 0, "maximum": 10}},
        "needs a minimum, a maximum and a step",
    ),
    (
        K.INTEGER,
        {"widget": "number-input", "options": {"minimum": 5, "maximum": 5}},
        "maximum must be more than the minimum",
    ),
    (K.INTEGER, {"options": {"step": 2}}, "number-input or number-range widget"),
    (K.STRING, {"widget": "text-input", "options": {"maximum": 3}}, "for number questions"),
    (K.CHOICE, {"widget": "select", "choices": 2}, None),
    (K.CHOICE, {"widget": "select"}, "needs its choices"),
    (K.BOOL, {"choices": 2}, "only choice questions have choices"),
    (K.MULTIPLE_CHOICE, {"widget": "checkbox-select-multiple", "choices": 1}, None),
    (K.BOOL, {"widget": "select"}, "its widgets: none"),
    (
        K.MULTIPLE_POINTS,
        {"widget": "accept-reject", "viewport": "main", "default_socket_kind": "multiple-points"},
        None,
    ),
    (K.MULTIPLE_POINTS, {"widget": "accept-reject", "viewport": "main"}, "needs a default answer"),
    (K.POINT, {"widget": "accept-reject", "viewport": "main"}, "cannot use the 'accept-reject' widget"),
    (K.POINT, {"viewport": "main", "options": {"tolerance": 2}}, None),
    (K.DISTANCE, {"viewport": "secondary", "options": {"tolerance": 2}}, None),
    (K.FLOAT, {"options": {"tolerance": 2}}, "only point and distance questions take a tolerance"),
    (K.POLYGON, {"viewport": "sideways"}, "'sideways' is not a viewport"),
    (K.BOOL, {"viewport": "main"}, "only annotation questions belong to a viewport"),
    (K.HEADING, {"required": True}, "cannot be required"),
    (K.HEADING, {"required": False}, None),
    (K.DISTANCE, {"viewport": "main", "required": False, "empty_answer_confirmation": True}, None),
    (K.DISTANCE, {"viewport": "main", "required": True, "empty_answer_confirmation": True}, "for optional questions"),
    (
        K.CHOICE,
        {"widget": "select", "choices": 2, "required": False, "empty_answer_confirmation": True},
        "cannot confirm an empty answer",
    ),
    (K.FLOAT, {"default_socket_kind": "float"}, None),
    (K.FLOAT, {"default_socket_kind": "point"}, "cannot take its default answer from a point socket"),
    (K.ELLIPSE, {"viewport": "main", "default_socket_kind": "point"}, "allowed: none"),
]


@pytest.mark.parametrize(("kind", "settings", "expected"), RULES)
def test_question_rules(kind, settings, expected):
    problems = question_problems(kind, {"required": False, **settings})
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("kind", "given", "widget", "viewport"),
    [
        (K.STRING, {}, "text-input", ""),
        (K.CHOICE, {}, "radio-select", ""),
        (K.FLOAT, {"options": {"minimum": 0}}, "number-input", ""),
        (K.FLOAT, {}, None, ""),
        (K.DISTANCE, {}, None, "main"),
        (K.DISTANCE, {"viewport": "secondary"}, None, "secondary"),
    ],
)
def test_defaults_fill_what_a_kind_needs(kind, given, widget, viewport):
    settings = with_defaults(kind, given)
    assert settings.get("widget") == widget and settings.get("viewport", "") == viewport
