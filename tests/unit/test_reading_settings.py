"""How readers go through a reader study (core/study_settings.py and the API that enforces it):
settings that do not go together are refused saying why; without case navigation cases are
answered in order and the end text follows the last; each reader's shuffled order is their own
and stable; answers roll over; question settings through the API; cases get titles and an order."""

import pytest
from test_reader_study_reading import app, ok  # noqa: F401  # app: the archives service, researchers create studies

from services.core.answer_scores import answer_score
from services.core.study_settings import case_order, roll_over_source, settings_problems

STUDY = "reader-studies/chest"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"allow_case_navigation": True, "allow_answer_modification": True}, None),
        ({"allow_case_navigation": False, "roll_over_answers_for_n_cases": 1}, None),
        ({"allow_case_navigation": True, "roll_over_answers_for_n_cases": 1}, "turn off case navigation"),
        ({"shuffle_case_order": True, "roll_over_answers_for_n_cases": 2}, "turn off the shuffle"),
        ({"roll_over_answers_for_n_cases": -1}, "whole number from 0"),
        ({"allow_case_navigation": False, "allow_answer_modification": True}, "turn on case navigation"),
        ({"instant_verification": True}, "needs educational mode"),
        ({"instant_verification": True, "educational": True}, None),
    ],
)
def test_settings_rules(settings, expected):
    problems = settings_problems(settings)
    assert problems == [] if expected is None else any(expected in p for p in problems), problems


def test_the_shuffle_is_a_stable_permutation_per_reader_and_differs_between_readers():
    cases = list(range(1, 41))
    dan = case_order(cases, "dan", 7, shuffle=True)
    assert sorted(dan) == cases and dan != cases
    assert case_order(cases, "dan", 7, shuffle=True) == dan  # the same every time
    assert case_order(cases, "eve", 7, shuffle=True) != dan
    assert case_order(cases, "dan", 8, shuffle=True) != dan  # and per study
    assert case_order(cases, "dan", 7, shuffle=False) == cases


def test_answers_roll_over_in_runs():
    order = [10, 20, 30, 40, 50]
    assert [roll_over_source(order, c, 1) for c in order] == [None, 10, None, 30, None]
    assert [roll_over_source(order, c, 2) for c in order] == [None, 10, 20, None, 40]
    assert [roll_over_source(order, c, 0) for c in order] == [None] * 5


@pytest.fixture
def study(app):  # noqa: F811  # the imported fixture, requested by name
    """Study ``chest`` read by clinician and datascientist: three cases (archive items with an
    age and a point), a required yes/no question and an optional point question."""
    service = app
    call = service.call
    ok(call("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest"}), 201)
    for reader in ("clinician", "datascientist"):
        ok(call("POST", f"{STUDY}/members", "researcher", {"username": reader, "role": "reader"}), 201)
    ok(call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"}), 201)
    ok(call("POST", "sockets", "researcher", {"slug": "centre", "title": "Centre", "kind": "point"}), 201)
    ok(call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"}), 201)
    for age in (40, 63, 71):
        centre = {"type": "Point", "point": [age, 2, 3]}
        ok(call("POST", "archives/lungs/items", "researcher", {"values": {"age": age, "centre": centre}}), 201)
    nodule = ok(call("POST", f"{STUDY}/questions", "researcher", {"text": "Nodule?", "kind": "bool"}), 201)["id"]
    where = {"text": "Where?", "kind": "point", "required": False, "default_socket": "centre"}
    where = ok(call("POST", f"{STUDY}/questions", "researcher", where), 201)["id"]
    cases = [c["id"] for c in ok(call("POST", f"{STUDY}/cases", "researcher", {"archive": "lungs"}), 201)["cases"]]
    return {"app": service, "nodule": nodule, "where": where, "cases": cases}


def answer(service, user, question, case, value, **extra):
    body = {"question": question, "case": case, "value": value, **extra}
    return service.call("POST", f"{STUDY}/answers", user, body)


def change(service, **settings):
    return service.call("PATCH", STUDY, "researcher", settings)


def test_a_refused_change_says_why_and_changes_nothing(study):
    service = study["app"]
    status, reply = change(service, roll_over_answers_for_n_cases=1)
    assert status == 422 and "turn off case navigation" in reply["message"]
    status, reply = change(service, allow_case_navigation=False)
    assert status == 422 and "turn off answer modification" in reply["message"]
    status, reply = change(service, instant_verification=True)
    assert status == 422 and "needs educational mode" in reply["message"]
    assert ok(service.call("GET", STUDY, "researcher"))["roll_over_answers_for_n_cases"] == 0
    settings = ok(
        change(service, allow_case_navigation=False, allow_answer_modification=False, end_of_study_text="Thanks!")
    )
    assert (settings["allow_case_navigation"], settings["allow_answer_modification"]) == (False, False)


def test_without_navigation_cases_come_in_order_and_the_end_text_follows_the_last(study):
    service = study["app"]
    ok(change(service, allow_case_navigation=False, allow_answer_modification=False, end_of_study_text="Thank you!"))
    first, second, third = study["cases"]
    status, reply = answer(service, "clinician", study["nodule"], second, True)
    assert status == 409 and f"answer case {first} first" in reply["message"]
    ok(answer(service, "clinician", study["nodule"], first, True), 201)
    status, reply = answer(service, "clinician", study["nodule"], first, False)  # finished: final
    assert status == 409 and "change the answers of a finished case" in reply["message"]
    for case in (second, third):
        progress = ok(service.call("GET", f"{STUDY}/progress", "clinician"))
        assert (progress["next_case"], progress["finished"], progress["end_of_study_text"]) == (case, False, "")
        ok(answer(service, "clinician", study["nodule"], case, False), 201)
    progress = ok(service.call("GET", f"{STUDY}/progress", "clinician"))
    assert (progress["next_case"], progress["finished"], progress["end_of_study_text"]) == (None, True, "Thank you!")


@pytest.mark.parametrize("navigation", [True, False])
def test_without_answer_modification_a_finished_case_still_takes_its_unanswered_questions(study, navigation):
    service, first = study["app"], study["cases"][0]
    ok(change(service, allow_case_navigation=navigation, allow_answer_modification=False))
    ok(answer(service, "clinician", study["nodule"], first, True), 201)  # the required one: finished
    assert ok(service.call("GET", f"{STUDY}/progress", "clinician"))["answered_case_ids"] == [first]
    where = {"type": "Point", "point": [1, 2, 3]}
    ok(answer(service, "clinician", study["where"], first, where), 201)  # the optional one, not answered yet
    for question, value in ((study["where"], {"type": "Point", "point": [4, 5, 6]}), (study["nodule"], False)):
        status, reply = answer(service, "clinician", question, first, value)
        assert status == 409 and "change the answers of a finished case" in reply["message"]
    answers = ok(service.call("GET", f"{STUDY}/answers", "clinician"))["results"]
    values = {a["question"]: a["value"] for a in answers}
    assert values[study["nodule"]] is True and values[study["where"]]["point"] == [1, 2, 3]


def test_each_reader_reads_in_their_own_shuffled_order(study):
    service = study["app"]
    ok(change(service, shuffle_case_order=True, allow_case_navigation=False, allow_answer_modification=False))
    orders = {r: ok(service.call("GET", f"{STUDY}/progress", r))["case_ids"] for r in ("clinician", "datascientist")}
    assert all(sorted(order) == sorted(study["cases"]) for order in orders.values())
    assert ok(service.call("GET", f"{STUDY}/progress", "clinician"))["case_ids"] == orders["clinician"]
    first = orders["clinician"][0]
    ok(answer(service, "clinician", study["nodule"], first, True), 201)  # the first of their own order


def test_answers_roll_over_to_the_next_case(study):
    service = study["app"]
    ok(change(service, allow_case_navigation=False, allow_answer_modification=False, roll_over_answers_for_n_cases=1))
    first, second, third = study["cases"]
    ok(answer(service, "clinician", study["nodule"], first, True), 201)
    progress = ok(service.call("GET", f"{STUDY}/progress", "clinician"))
    assert progress["next_case"] == second and progress["rolled_over_answers"] == {str(study["nodule"]): True}
    ok(answer(service, "clinician", study["nodule"], second, True), 201)
    assert ok(service.call("GET", f"{STUDY}/progress", "clinician"))["rolled_over_answers"] == {}  # case 3 anew


def test_readers_see_the_leaderboard_only_when_the_study_lets_them(study):
    service = study["app"]
    ok(service.call("GET", f"{STUDY}/leaderboard", "clinician"))
    ok(change(service, leaderboard_accessible_to_readers=False))
    status, reply = service.call("GET", f"{STUDY}/leaderboard", "clinician")
    assert status == 403 and "for its editors" in reply["message"]
    ok(service.call("GET", f"{STUDY}/leaderboard", "researcher"))


def test_cases_get_a_title_and_an_order(study):
    service = study["app"]
    first, second, third = study["cases"]
    ok(service.call("PATCH", f"{STUDY}/cases/{third}", "researcher", {"title": "Case A", "order": 0, "text": "Smoker"}))
    ok(service.call("PATCH", f"{STUDY}/cases/{first}", "researcher", {"order": 5}))
    ok(service.call("PATCH", f"{STUDY}/cases/{second}", "researcher", {"order": 1}))
    listed = ok(service.call("GET", f"{STUDY}/cases", "clinician"))["results"]
    assert [c["id"] for c in listed] == [third, second, first] and listed[0]["title"] == "Case A"
    assert ok(service.call("GET", f"{STUDY}/progress", "clinician"))["case_ids"] == [third, second, first]
    status, reply = service.call("PATCH", f"{STUDY}/cases/{first}", "researcher", {"title": "Case A"})
    assert status == 409 and "give this one its own title" in reply["message"]
    status, _ = service.call("PATCH", f"{STUDY}/cases/{first}", "clinician", {"title": "Mine"})
    assert status == 403


def test_question_settings_through_the_api(study):
    service = study["app"]

    def add(question):
        return service.call("POST", f"{STUDY}/questions", "researcher", question)

    status, reply = add({"text": "Size?", "kind": "float", "widget": "number-range", "options": {"minimum": 0}})
    assert status == 422 and "needs a minimum, a maximum and a step" in reply["message"]
    status, reply = add({"text": "Intro", "kind": "heading", "required": True})
    assert status == 422 and "cannot be required" in reply["message"]
    status, reply = add({"text": "Age?", "kind": "point", "default_socket": "age", "required": False})
    assert status == 422 and "cannot take its default answer from a integer socket" in reply["message"]
    status, reply = add({"text": "Lobe?", "kind": "choice", "options": {"choices": ["upper"]}, "widget": "text-area"})
    assert status == 422 and "cannot use the 'text-area' widget" in reply["message"]
    heading = ok(add({"text": "Findings", "kind": "heading"}), 201)
    assert (heading["required"], heading["answer_type"]) == (False, "HEAD")
    size = {"text": "Size?", "kind": "float", "options": {"minimum": 0, "maximum": 10, "step": 0.5}}
    size = ok(add({**size, "widget": "number-range"}), 201)
    lobe = ok(add({"text": "Lobe?", "kind": "choice", "options": {"choices": ["upper", "lower"]}}), 201)
    assert lobe["widget"] == "radio-select" and [c["title"] for c in lobe["choices"]] == ["upper", "lower"]
    note = {"text": "Anything else?", "kind": "distance", "required": False, "empty_answer_confirmation": True}
    note = ok(add({**note, "empty_answer_confirmation_label": "Nothing to measure?"}), 201)
    assert note["viewport"] == "main"

    case = study["cases"][0]
    assert answer(service, "clinician", heading["id"], case, "x")[0] == 422
    status, reply = answer(service, "clinician", size["id"], case, 2.25)
    assert status == 422 and "not a step of 0.5" in reply["message"]
    ok(answer(service, "clinician", size["id"], case, 2.5), 201)
    lower = lobe["choices"][1]["id"]
    assert ok(answer(service, "clinician", lobe["id"], case, lower), 201)["value"] == lower
    assert ok(answer(service, "clinician", lobe["id"], case, "upper"))["value"] == lobe["choices"][0]["id"]
    status, reply = answer(service, "clinician", note["id"], case, None)
    assert status == 422 and "Nothing to measure?" in reply["message"]
    assert ok(answer(service, "clinician", note["id"], case, None, confirm_empty=True), 201)["value"] is None
    distance = {"type": "Distance measurement", "start": [0, 0, 0], "end": [3, 4, 0]}
    kept = ok(answer(service, "clinician", note["id"], case, distance))["value"]
    assert kept == {**distance, "version": {"major": 1, "minor": 0}}

    shown = ok(service.call("GET", f"{STUDY}/cases/{case}", "clinician"))
    assert shown["default_answers"] == {
        str(study["where"]): {"type": "Point", "point": [40, 2, 3], "version": {"major": 1, "minor": 0}}
    }


def test_the_ground_truth_carries_an_explanation_readers_see_with_it(study):
    service = study["app"]
    ok(change(service, educational=True))
    first = study["cases"][0]
    truth = [{"case": first, "question": study["nodule"], "value": True, "explanation": "Spiculated, 8 mm."}]
    ok(service.call("POST", f"{STUDY}/ground-truth", "researcher", truth), 201)
    csv = f"case,question,value,explanation\n{first},Nodule?,yes,Seen on slice 40\n"
    headers = {"Content-Type": "text/csv"}
    status, _ = service.call("POST", f"{STUDY}/ground-truth", "researcher", raw=csv.encode(), headers=headers)
    assert status == 201
    ok(answer(service, "clinician", study["nodule"], first, True), 201)
    shown = ok(service.call("POST", f"{STUDY}/cases/{first}/ground-truth", "clinician"))
    assert shown["answers"][0]["explanation"] == "Seen on slice 40"


def test_a_distance_is_right_when_both_ends_are_within_the_tolerance():
    truth = {"type": "Distance measurement", "start": [0, 0, 0], "end": [10, 0, 0]}
    close = {**truth, "start": [10, 1, 0], "end": [0, 1, 0]}  # drawn the other way round
    assert answer_score("distance", {"tolerance": 2}, close, truth) == 1.0
    assert answer_score("distance", {"tolerance": 0.5}, close, truth) == 0.0


def test_a_choice_is_one_of_its_own_questions_options(study):
    service = study["app"]

    def choice(text, titles):
        body = {"text": text, "kind": "choice", "options": {"choices": titles}}
        return ok(service.call("POST", f"{STUDY}/questions", "researcher", body), 201)

    lobe, side = choice("Lobe?", ["upper", "lower"]), choice("Side?", ["left", "right"])
    case = study["cases"][0]
    status, reply = answer(service, "clinician", lobe["id"], case, side["choices"][0]["id"])
    assert status == 422 and "question 'Lobe?'" in reply["message"]
    assert ok(answer(service, "clinician", lobe["id"], case, lobe["choices"][1]["id"]), 201)
