"""Reader-study ground truth (CSV and JSON uploads, checked row by row) and readers' scores."""

import json

import apptools
import pytest
from apptools import fake_hub_auth, service_app

from services.core.answer_scores import answer_score
from services.core.errors import InvalidValue
from services.core.orm import Question

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]
STUDY = "reader-studies/chest"


@pytest.fixture
def api(database_url, monkeypatch):
    monkeypatch.setitem(apptools.USERS, "researcher", {**apptools.USERS["researcher"], "scopes": RESEARCHER_SCOPES})
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as app:
        yield app


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


@pytest.fixture
def study(api):
    """Study ``chest`` (readers clinician and datascientist) with three questions about the two
    cases of archive ``lungs``; returns the question and case ids."""
    call = api.call
    ok(call("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest reads"}), 201)
    for reader in ("clinician", "datascientist"):
        ok(call("POST", f"{STUDY}/members", "researcher", {"username": reader, "role": "reader"}), 201)
    ok(call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"}), 201)
    ok(call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"}), 201)
    for age in (40, 63):
        ok(call("POST", "archives/lungs/items", "researcher", {"values": {"age": age}}), 201)
    questions = [
        {"text": "Nodule?", "kind": "bool"},
        {"text": "Size (mm)", "kind": "float", "options": {"minimum": 0, "maximum": 50}},
        {"text": "Lobe", "kind": "choice", "options": {"choices": ["upper", "lower"]}},
    ]
    ids = [ok(call("POST", f"{STUDY}/questions", "researcher", q), 201)["id"] for q in questions]
    cases = [c["id"] for c in ok(call("POST", f"{STUDY}/cases", "researcher", {"archive": "lungs"}), 201)["cases"]]
    return {"questions": ids, "cases": cases}


def upload_csv(api, text, user="researcher"):
    return api.call("POST", f"{STUDY}/ground-truth", user, raw=text.encode(), headers={"Content-Type": "text/csv"})


def test_csv_ground_truth_by_question_id_or_text(api, study):
    (nodule, size, lobe), (first, second) = study["questions"], study["cases"]
    csv = (
        "case,question,value\n"
        f"{first},{nodule},yes\n"
        f"{first},Size (mm),12.5\n"
        f"{first},Lobe,upper\n"
        f"{second},{nodule},false\n"
    )
    assert ok(upload_csv(api, csv), 201) == {"saved": 4}
    lobe_question = next(
        q for q in ok(api.call("GET", f"{STUDY}/questions", "researcher"))["results"] if q["id"] == lobe
    )
    upper = next(c["id"] for c in lobe_question["choices"] if c["title"] == "upper")
    truth = ok(api.call("GET", f"{STUDY}/ground-truth", "researcher"))
    assert [(t["case"], t["question"], t["value"]) for t in truth["results"]] == [
        (first, nodule, True),
        (first, size, 12.5),
        (first, lobe, upper),  # a choice given by its title is kept by its option's id
        (second, nodule, False),
    ]


def test_json_ground_truth_replaces_the_old_one(api, study):
    (nodule, size, _), (first, second) = study["questions"], study["cases"]
    ok(
        api.call("POST", f"{STUDY}/ground-truth", "researcher", [{"case": first, "question": nodule, "value": True}]),
        201,
    )
    rows = [{"case": second, "question": size, "value": 3}, {"case": second, "question": "Nodule?", "value": False}]
    assert ok(api.call("POST", f"{STUDY}/ground-truth", "researcher", rows), 201) == {"saved": 2}
    truth = ok(api.call("GET", f"{STUDY}/ground-truth", "researcher"))["results"]
    assert sorted((t["case"], t["question"]) for t in truth) == [(second, nodule), (second, size)]


def test_bad_rows_are_named_and_nothing_is_written(api, study):
    (nodule, size, lobe), (first, second) = study["questions"], study["cases"]
    ok(
        api.call("POST", f"{STUDY}/ground-truth", "researcher", [{"case": first, "question": nodule, "value": True}]),
        201,
    )
    csv = (
        "case,question,value\n"
        f"{first},{nodule},false\n"  # row 1 is fine
        f"{first},{size},99\n"  # above the maximum
        f"{first},{lobe},middle\n"  # not a choice
        f"999,{nodule},true\n"  # no such case
        f"{second},Colour?,red\n"  # no such question
        f"{first},{nodule},true\n"  # row 1's pair again
        f"{second},{size},twelve\n"  # not a number
        f"{second},{nodule},\n"  # empty
    )
    status, body = upload_csv(api, csv)
    assert status == 422, body
    message = body["message"]
    assert message.startswith("The ground truth was not saved: 7 row(s) are wrong.")
    for fragment in [
        "row 2: question 'Size (mm)'",
        "99",
        "row 3: question 'Lobe'",
        "row 4: no case '999'",
        "row 5: no question 'Colour?'",
        "row 6: case",
        "is given in row 1 already",
        "row 7: question 'Size (mm)': 'twelve' is not a float value",
        "row 8: question 'Nodule?': no value",
    ]:
        assert fragment in message, (fragment, message)
    assert "row 1:" not in message
    truth = ok(api.call("GET", f"{STUDY}/ground-truth", "researcher"))["results"]
    assert [(t["question"], t["value"]) for t in truth] == [(nodule, True)]  # the old one is kept


@pytest.mark.parametrize(
    "document, content_type, fragment",
    [
        ("case;question;value\n1;1;true\n", "text/csv", "missing: case, question, value"),
        ("case,question,value\n", "text/csv", "has no rows"),
        ("{not json", None, "not valid JSON"),
        ('{"case": 1}', None, "must be a JSON list"),
        ('[{"case": 1, "question": 1}]', None, 'row 1: must be an object with exactly "case"'),
        ('[{"case": "1", "question": 1, "value": true, "x": 2}]', None, "row 1: must be an object"),
        ('[{"case": 1, "question": 1, "value": "yes"}]', None, "row 1: question 'Nodule?'"),
    ],
)
def test_malformed_documents_get_a_message(api, study, document, content_type, fragment):
    headers = {"Content-Type": content_type} if content_type else {}
    status, body = api.call("POST", f"{STUDY}/ground-truth", "researcher", raw=document.encode(), headers=headers)
    assert status == 422 and fragment in body["message"], body
    assert ok(api.call("GET", f"{STUDY}/ground-truth", "researcher"))["count"] == 0


def test_only_editors_give_or_see_the_ground_truth(api, study):
    assert upload_csv(api, "case,question,value\n", user="clinician")[0] == 403
    assert api.call("GET", f"{STUDY}/ground-truth", "clinician")[0] == 403
    assert api.call("GET", f"{STUDY}/scores", "clinician")[0] == 403
    assert api.call("GET", f"{STUDY}/ground-truth", "researcher2")[0] == 404


def test_readers_are_scored_against_the_ground_truth(api, study):
    (nodule, size, lobe), (first, second) = study["questions"], study["cases"]
    truth = [
        {"case": first, "question": nodule, "value": True},
        {"case": first, "question": size, "value": 10},
        {"case": second, "question": nodule, "value": False},
        {"case": second, "question": lobe, "value": "lower"},
    ]
    assert ok(api.call("GET", f"{STUDY}/scores", "researcher"))["readers"][0]["score"] is None  # no truth yet
    ok(api.call("POST", f"{STUDY}/ground-truth", "researcher", truth), 201)
    answers = {  # clinician: all right but the size is 5 mm off (of a 50 mm range); datascientist: one wrong
        "clinician": [(nodule, first, True), (size, first, 15), (nodule, second, False), (lobe, second, "lower")],
        "datascientist": [(nodule, first, False)],
    }
    for reader, given in answers.items():
        for question, case, value in given:
            body = {"question": question, "case": case, "value": value}
            ok(api.call("POST", f"{STUDY}/answers", reader, body), 201)
    scores = {s["reader"]: s for s in ok(api.call("GET", f"{STUDY}/scores", "researcher"))["readers"]}
    clinician, scientist = scores["clinician"], scores["datascientist"]
    assert clinician["score"] == pytest.approx((1 + 0.9 + 1 + 1) / 4)
    assert clinician["answered"] == 4 and clinician["scored"] == 4
    assert clinician["per_question"] == {str(nodule): 1.0, str(size): pytest.approx(0.9), str(lobe): 1.0}
    assert scientist == {
        "reader": "datascientist",
        "score": 0.0,
        "answered": 1,
        "scored": 4,
        "per_question": {str(nodule): 0.0, str(size): 0.0, str(lobe): 0.0},
    }


@pytest.mark.parametrize(
    "kind, options, answer, truth, expected",
    [
        ("bool", {}, True, True, 1.0),
        ("string", {}, "a", "b", 0.0),
        ("multiple-choice", {}, ["a", "b"], ["b", "c"], 1 / 3),
        ("multiple-choice", {}, [], [], 1.0),
        ("float", {}, 1.5, 1.5, 1.0),
        ("float", {}, 1.5, 2.0, 0.0),
        ("float", {"minimum": 0, "maximum": 10}, 2, 7, 0.5),
        (
            "2d-bounding-box",
            {},
            {"type": "2D bounding box", "corners": [[0, 0, 0], [2, 0, 0], [2, 2, 0], [0, 2, 0]]},
            {"type": "2D bounding box", "corners": [[1, 0, 0], [3, 0, 0], [3, 2, 0], [1, 2, 0]]},
            1 / 3,
        ),
        ("point", {}, {"type": "Point", "point": [1, 2, 3]}, {"type": "Point", "point": [1, 2, 3]}, 1.0),
        (
            "multiple-points",
            {},
            {"type": "Multiple points", "points": [{"point": [1, 2, 3]}]},
            {"type": "Multiple points", "points": [{"point": [1, 2, 3]}, {"point": [0, 0, 0]}]},
            0.5,
        ),
        ("point", {}, {"type": "Point", "point": [1, 2, 3.5]}, {"type": "Point", "point": [1, 2, 3]}, 0.0),
        ("point", {"tolerance": 5}, {"type": "Point", "point": [4, 6, 3]}, {"type": "Point", "point": [1, 2, 3]}, 1.0),
        (
            "point",
            {"tolerance": 4.9},
            {"type": "Point", "point": [4, 6, 3]},
            {"type": "Point", "point": [1, 2, 3]},
            0.0,
        ),
        # each point is matched once, nearest first: (0.5, 0, 0) takes (0, 0, 0); (9, 0, 0) matches nothing
        (
            "multiple-points",
            {"tolerance": 1},
            {"type": "Multiple points", "points": [{"point": [0.5, 0, 0]}, {"point": [9, 0, 0]}]},
            {"type": "Multiple points", "points": [{"point": [0, 0, 0]}, {"point": [0.2, 0, 0]}]},
            1 / 3,
        ),
        ("integer", {}, None, 3, 0.0),
    ],
)
def test_answer_scores(kind, options, answer, truth, expected):
    assert answer_score(kind, options, json.loads(json.dumps(answer)), truth) == pytest.approx(expected)


def test_only_point_questions_take_a_tolerance():
    Question(text="Where?", kind="point", options={"tolerance": 5})
    with pytest.raises(InvalidValue, match="only point and distance questions take a tolerance"):
        Question(text="How big?", kind="float", options={"tolerance": 5})
    with pytest.raises(InvalidValue, match="tolerance"):
        Question(text="Where?", kind="point", options={"tolerance": 0})
