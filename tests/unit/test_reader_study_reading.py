"""Reading a study as a reader: answers saved as one goes, progress, educational mode (the ground
truth of each answered case, after which its answers are final), the readers' leaderboard and the
answers as CSV."""

import csv
import io
from datetime import datetime

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]
STUDY = "reader-studies/chest"
READERS = ("clinician", "datascientist", "researcher2")


@pytest.fixture
def app(database_url, monkeypatch):
    monkeypatch.setitem(apptools.USERS, "researcher", {**apptools.USERS["researcher"], "scopes": RESEARCHER_SCOPES})
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as running:
        yield running


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


@pytest.fixture
def study(app):
    """Educational study ``chest`` (readers: READERS) with a required yes/no question and an
    optional number about the two cases of archive ``lungs``; ground truth for the first case
    (yes, 10) and the second (no)."""
    call = app.call
    ok(call("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest", "educational": True}), 201)
    for reader in READERS:
        ok(call("POST", f"{STUDY}/members", "researcher", {"username": reader, "role": "reader"}), 201)
    ok(call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"}), 201)
    ok(call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"}), 201)
    for age in (40, 63):
        ok(call("POST", "archives/lungs/items", "researcher", {"values": {"age": age}}), 201)
    questions = [
        {"text": "Nodule?", "kind": "bool"},
        {"text": "Size (mm)", "kind": "float", "options": {"minimum": 0, "maximum": 50}, "required": False},
    ]
    nodule, size = [ok(call("POST", f"{STUDY}/questions", "researcher", q), 201)["id"] for q in questions]
    first, second = [
        c["id"] for c in ok(call("POST", f"{STUDY}/cases", "researcher", {"archive": "lungs"}), 201)["cases"]
    ]
    truth = [{"case": first, "question": nodule, "value": True}, {"case": first, "question": size, "value": 10},
             {"case": second, "question": nodule, "value": False}]  # fmt: skip
    ok(call("POST", f"{STUDY}/ground-truth", "researcher", truth), 201)
    return {"nodule": nodule, "size": size, "cases": [first, second]}


def answer(app, user, question, case, value):
    return app.call("POST", f"{STUDY}/answers", user, {"question": question, "case": case, "value": value})


def fetch_text(app, path, user):
    """``(status, headers, text)`` of a GET that does not answer JSON."""
    request = HTTPRequest(app.get_url(f"/services/archives/api/v1/{path}"), headers={"X-Test-User": user})
    try:
        response = app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        response = e.response
    return response.code, response.headers, response.body.decode()


def test_editors_set_the_educational_mode_title_and_description(app, study):
    assert ok(app.call("GET", STUDY, "clinician"))["educational"] is True
    changed = ok(
        app.call("PATCH", STUDY, "researcher", {"title": "Chest CT", "description": "Read.", "educational": False})
    )
    assert (changed["title"], changed["description"], changed["educational"]) == ("Chest CT", "Read.", False)
    assert ok(app.call("GET", STUDY, "clinician"))["educational"] is False
    assert (
        ok(app.call("POST", "reader-studies", "researcher", {"slug": "plain", "title": "Plain"}), 201)["educational"]
        is False
    )
    for body, message in [
        ({"educational": "yes"}, "'educational' must be true or false."),
        ({"title": " "}, "'title' must be a non-empty string."),
        ({"description": 3}, "'description' must be a string."),
    ]:
        status, reply = app.call("PATCH", STUDY, "researcher", body)
        assert (status, reply["message"]) == (422, message)
    status, reply = app.call("PATCH", STUDY, "researcher", {"slug": "other"})
    assert status == 400 and "Unknown field(s): slug" in reply["message"]
    status, reply = app.call("POST", "reader-studies", "researcher", {"slug": "edu", "title": "E", "educational": 1})
    assert (status, reply["message"]) == (422, "'educational' must be true or false.")
    status, reply = app.call("PATCH", STUDY, "clinician", {"educational": True})
    assert status == 403 and "change this reader study" in reply["message"]
    assert ok(app.call("GET", STUDY, "researcher"))["title"] == "Chest CT"


def test_answers_are_replaced_as_readers_go(app, study):
    nodule, size, (first, _) = study["nodule"], study["size"], study["cases"]
    created = ok(answer(app, "clinician", nodule, first, True), 201)
    changed = ok(answer(app, "clinician", nodule, first, False))
    assert (
        changed["id"] == created["id"] and changed["value"] is False and changed["created_at"] >= created["created_at"]
    )
    ok(answer(app, "clinician", size, first, 12.5), 201)
    assert ok(answer(app, "clinician", size, first, None))["value"] is None  # an optional answer cleared
    status, reply = answer(app, "clinician", nodule, first, None)
    assert status == 422 and "'Nodule?'" in reply["message"]
    status, reply = answer(app, "clinician", size, first, 60)
    assert status == 422 and "greater than the maximum of 50" in reply["message"]
    mine = ok(app.call("GET", f"{STUDY}/answers", "clinician"))["results"]
    assert [(a["question"], a["value"]) for a in mine] == [(nodule, False), (size, None)]
    status, reply = answer(app, "clinician", nodule, 99999, True)
    assert (status, reply["message"]) == (404, "No case 99999 in reader study 'chest'.")
    status, reply = answer(app, "clinician", 99999, first, True)
    assert (status, reply["message"]) == (404, "No question 99999 in reader study 'chest'.")


def test_progress_counts_the_cases_whose_required_questions_are_answered(app, study):
    nodule, size, (first, second) = study["nodule"], study["size"], study["cases"]
    expected = {"cases": 2, "answered": 0, "next_case": first, "case_ids": [first, second], "answered_case_ids": []}
    expected |= {"finished": False, "end_of_study_text": "", "rolled_over_answers": {}}
    assert ok(app.call("GET", f"{STUDY}/progress", "clinician")) == expected
    ok(answer(app, "clinician", size, first, 3), 201)  # optional: the case is not answered yet
    ok(answer(app, "clinician", nodule, second, True), 201)
    progress = ok(app.call("GET", f"{STUDY}/progress", "clinician"))
    assert (progress["answered"], progress["next_case"], progress["answered_case_ids"]) == (1, first, [second])
    ok(answer(app, "clinician", nodule, first, True), 201)
    progress = ok(app.call("GET", f"{STUDY}/progress", "clinician"))
    assert (progress["answered"], progress["next_case"], progress["answered_case_ids"]) == (2, None, [first, second])
    assert ok(app.call("GET", f"{STUDY}/progress", "datascientist"))["answered"] == 0
    assert ok(app.call("GET", f"{STUDY}/progress", "researcher"))["answered"] == 0  # editors get their own


def test_readers_reveal_the_ground_truth_of_answered_cases_and_their_answers_become_final(app, study):
    nodule, size, (first, second) = study["nodule"], study["size"], study["cases"]
    url = f"{STUDY}/cases/{first}/ground-truth"
    status, reply = app.call("POST", url, "clinician")
    assert (status, reply["message"]) == (409, f"Answer every required question of case {first} first.")
    ok(answer(app, "clinician", nodule, first, True), 201)
    ok(answer(app, "clinician", size, first, 20), 201)
    truth = ok(app.call("POST", url, "clinician"))
    assert truth == {
        "case": first,
        "answers": [
            {"question": nodule, "value": True, "explanation": "", "my_answer": True, "score": 1.0},
            {"question": size, "value": 10, "explanation": "", "my_answer": 20, "score": 0.8},
        ],
    }
    assert ok(app.call("GET", url, "clinician")) == truth  # shown again: nothing changes
    assert ok(app.call("POST", url, "clinician")) == truth  # revealed again: nothing changes
    for question, value in [(nodule, False), (size, None)]:
        status, reply = answer(app, "clinician", question, first, value)
        assert (status, reply["message"]) == (
            409,
            f"You have seen the ground truth of case {first}; answers to it can no longer change.",
        )
    ok(answer(app, "clinician", nodule, second, True), 201)  # other cases stay open
    ok(answer(app, "datascientist", nodule, first, False), 201)  # and so do other readers' answers
    unanswered = ok(app.call("POST", f"{STUDY}/cases/{second}/ground-truth", "clinician"))["answers"]
    assert unanswered[1] == {"question": size, "value": None, "explanation": "", "my_answer": None, "score": None}
    status, reply = app.call("POST", f"{STUDY}/cases/99999/ground-truth", "clinician")
    assert (status, reply["message"]) == (404, "No case 99999 in reader study 'chest'.")


def test_a_get_shows_only_a_revealed_ground_truth_and_reveals_nothing(app, study):
    nodule, first = study["nodule"], study["cases"][0]
    url = f"{STUDY}/cases/{first}/ground-truth"
    ok(answer(app, "clinician", nodule, first, True), 201)
    for _ in range(2):
        status, reply = app.call("GET", url, "clinician")
        assert status == 409 and "POST to this URL to reveal it" in reply["message"], reply
        assert "True" not in reply["message"] and "value" not in reply
    ok(answer(app, "clinician", nodule, first, False))  # nothing was revealed: the answer may still change
    assert ok(app.call("GET", url, "researcher"))["answers"][0]["value"] is True  # editors see it by GET


def test_only_editors_see_the_ground_truth_of_a_study_that_is_not_educational(app, study):
    nodule, first = study["nodule"], study["cases"][0]
    ok(app.call("PATCH", STUDY, "researcher", {"educational": False}))
    ok(answer(app, "clinician", nodule, first, True), 201)
    for method in ("GET", "POST"):
        status, reply = app.call(method, f"{STUDY}/cases/{first}/ground-truth", "clinician")
        assert status == 403 and reply["message"].startswith("This reader study is not in educational mode: ")
    ok(answer(app, "clinician", nodule, first, False))  # nothing was seen: the answer may change
    editor = ok(app.call("GET", f"{STUDY}/cases/{first}/ground-truth", "researcher"))
    assert [(a["value"], a["my_answer"], a["score"]) for a in editor["answers"]] == [
        (True, None, None),
        (10, None, None),
    ]
    assert ok(app.call("GET", f"{STUDY}/cases/{first}/ground-truth", "admin"))["case"] == first  # hub admins too


def test_leaderboard_ranks_readers_and_hides_the_others_names_from_readers(app, study):
    nodule, size, (first, second) = study["nodule"], study["size"], study["cases"]
    for reader in ("clinician", "datascientist"):  # all right: 1.0
        for question, case, value in [(nodule, first, True), (size, first, 10), (nodule, second, False)]:
            ok(answer(app, reader, question, case, value), 201)
    ok(answer(app, "researcher2", nodule, first, False), 201)  # wrong, and the rest unanswered: 0.0
    ok(answer(app, "researcher2", size, first, 10), 201)
    ok(answer(app, "researcher2", size, first, None))  # cleared: not answered
    board = ok(app.call("GET", f"{STUDY}/leaderboard", "researcher"))
    assert board == {
        "ground_truth": 3,
        "readers": [
            {"rank": 1, "reader": "clinician", "score": 1.0, "answered": 3},
            {"rank": 1, "reader": "datascientist", "score": 1.0, "answered": 3},
            {"rank": 3, "reader": "researcher2", "score": 0.0, "answered": 1},
        ],
    }
    seen_by = {
        reader: [(e["rank"], e["reader"]) for e in ok(app.call("GET", f"{STUDY}/leaderboard", reader))["readers"]]
        for reader in READERS
    }
    assert seen_by == {
        "clinician": [(1, "clinician"), (1, "reader 1"), (3, "reader 2")],
        "datascientist": [(1, "reader 1"), (1, "datascientist"), (3, "reader 2")],
        "researcher2": [(1, "reader 1"), (1, "reader 2"), (3, "researcher2")],
    }
    assert ok(app.call("GET", f"{STUDY}/leaderboard", "admin")) == board  # hub admins see every name


def test_answers_as_csv(app, study):
    nodule, size, (first, second) = study["nodule"], study["size"], study["cases"]
    ok(answer(app, "clinician", nodule, first, True), 201)
    ok(answer(app, "clinician", size, first, 20), 201)
    ok(answer(app, "datascientist", nodule, second, True), 201)
    ok(
        app.call("POST", f"{STUDY}/questions", "researcher", {"text": "=Notes", "kind": "string", "required": False}),
        201,
    )
    notes = ok(app.call("GET", f"{STUDY}/questions", "researcher"))["results"][2]["id"]
    ok(answer(app, "datascientist", notes, second, 'small, "round"'), 201)
    status, headers, text = fetch_text(app, f"{STUDY}/answers?format=csv", "researcher")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == 'attachment; filename="chest-answers.csv"'
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["reader", "case", "question", "question_text", "value", "score", "answered_at"]
    assert [row[:6] for row in rows[1:]] == [
        ["clinician", str(first), str(nodule), "Nodule?", "true", "1.0"],
        ["clinician", str(first), str(size), "Size (mm)", "20", "0.8"],
        ["datascientist", str(second), str(nodule), "Nodule?", "true", "0.0"],
        ["datascientist", str(second), str(notes), "'=Notes", '"small, \\"round\\""', ""],  # no ground truth
    ]
    assert all(datetime.fromisoformat(row[6]).tzinfo for row in rows[1:])
    _, _, own = fetch_text(app, f"{STUDY}/answers?format=csv", "clinician")
    assert {row[0] for row in list(csv.reader(io.StringIO(own)))[1:]} == {"clinician"}
    status, _, text = fetch_text(app, f"{STUDY}/answers?format=xml", "clinician")
    assert status == 400 and "?format= must be json or csv, not 'xml'." in text
