"""The reader-studies API in-process: roles, questions, cases from archives, answers."""

import apptools
import pytest
from apptools import fake_hub_auth, service_app

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]


@pytest.fixture
def api(database_url, monkeypatch):
    for user in ("researcher", "researcher2"):  # researchers may create reader studies on the hub
        monkeypatch.setitem(apptools.USERS, user, {**apptools.USERS[user], "scopes": RESEARCHER_SCOPES})
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as app:
        yield app.call


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


@pytest.fixture
def study(api):
    """Reader study ``chest`` of ``researcher`` with reader ``clinician``, two questions and the
    two cases of archive ``lungs``."""
    ok(api("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest reads"}), 201)
    ok(api("POST", "reader-studies/chest/members", "researcher", {"username": "clinician", "role": "reader"}), 201)
    ok(api("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"}), 201)
    ok(api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"}), 201)
    for age in (40, 63):
        ok(api("POST", "archives/lungs/items", "researcher", {"values": {"age": age}}), 201)
    nodule = {"text": "Nodule?", "kind": "bool"}
    size = {"text": "Size (mm)", "kind": "float", "options": {"minimum": 0, "maximum": 50}}
    questions = [ok(api("POST", "reader-studies/chest/questions", "researcher", q), 201) for q in (nodule, size)]
    added = ok(api("POST", "reader-studies/chest/cases", "researcher", {"archive": "lungs"}), 201)
    return {"questions": [q["id"] for q in questions], "cases": [c["id"] for c in added["cases"]]}


def answer(api, study, user="clinician", question=0, case=0, value=True):
    body = {"question": study["questions"][question], "case": study["cases"][case], "value": value}
    return api("POST", "reader-studies/chest/answers", user, body)


def test_researcher_creates_a_study_and_becomes_its_editor(api):
    created = ok(api("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest"}), 201)
    assert created["my_roles"] == ["editor"] and created["created_by"] == "researcher"
    listing = ok(api("GET", "reader-studies", "researcher"))
    assert [s["slug"] for s in listing["results"]] == ["chest"]
    assert ok(api("GET", "reader-studies", "clinician"))["results"] == []
    assert ok(api("GET", "reader-studies", "admin"))["count"] == 1


def test_who_may_create_reader_studies(api):
    for user in ("datascientist", "clinician"):
        status, body = api("POST", "reader-studies", user, {"slug": f"x-{user}", "title": "x"})
        assert status == 403 and "custom:reader-studies:create" in body["message"]
    assert api("POST", "reader-studies", None, {"slug": "anon", "title": "x"})[0] == 403


def test_study_members_questions_and_cases(api, study):
    assert ok(api("GET", "reader-studies/chest", "clinician"))["my_roles"] == ["reader"]
    members = ok(api("GET", "reader-studies/chest/members", "researcher"))
    assert members == {"editor": ["researcher"], "reader": ["clinician"]}
    questions = ok(api("GET", "reader-studies/chest/questions", "clinician"))["results"]
    listed = [(q["position"], q["text"], q["kind"]) for q in questions]
    assert listed == [(0, "Nodule?", "bool"), (1, "Size (mm)", "float")]
    assert questions[1]["options"] == {"minimum": 0, "maximum": 50} and questions[0]["required"] is True
    cases = ok(api("GET", "reader-studies/chest/cases", "clinician"))["results"]
    assert [c["values"] for c in cases] == [{"age": 40}, {"age": 63}]


def test_readers_may_not_manage_the_study(api, study):
    for path, body in [
        ("members", {"username": "datascientist", "role": "reader"}),
        ("questions", {"text": "Mine?", "kind": "bool"}),
        ("cases", {"archive": "lungs"}),
    ]:
        status, reply = api("POST", f"reader-studies/chest/{path}", "clinician", body)
        assert status == 403 and "ask an editor of 'chest'" in reply["message"], reply
    assert api("GET", "reader-studies/chest/members", "clinician")[0] == 403
    status, reply = answer(api, study, user="researcher")
    assert status == 403 and "answer questions" in reply["message"]


def test_strangers_get_404(api, study):
    for user in ("researcher2", "datascientist"):
        for path in ("", "/members", "/questions", "/cases", "/answers"):
            status, body = api("GET", f"reader-studies/chest{path}", user)
            assert status == 404 and "No reader study 'chest'" in body["message"]
        assert answer(api, study, user=user)[0] == 404


def test_reader_answers_and_who_sees_the_answers(api, study):
    mine = ok(answer(api, study, value=True), 201)
    assert mine["reader"] == "clinician" and mine["value"] is True and mine["created_at"]
    ok(answer(api, study, question=1, case=1, value=12.5), 201)
    api("POST", "reader-studies/chest/members", "researcher", {"username": "researcher2", "role": "reader"})
    ok(answer(api, study, user="researcher2", value=False), 201)
    everyone = ok(api("GET", "reader-studies/chest/answers", "researcher"))
    assert sorted(a["reader"] for a in everyone["results"]) == ["clinician", "clinician", "researcher2"]
    own = ok(api("GET", "reader-studies/chest/answers", "clinician"))
    assert own["count"] == 2 and {a["reader"] for a in own["results"]} == {"clinician"}
    assert ok(api("GET", "reader-studies/chest/answers", "researcher2"))["count"] == 1


def test_bad_answers_get_a_message_and_write_nothing(api, study):
    status, body = answer(api, study, value="yes")
    assert status == 422 and "'Nodule?'" in body["message"]
    status, body = answer(api, study, question=1, value=99)
    assert status == 422 and "'Size (mm)'" in body["message"]
    ok(api("POST", "reader-studies", "researcher", {"slug": "other", "title": "Other"}), 201)
    ok(api("POST", "reader-studies/other/members", "researcher", {"username": "clinician", "role": "reader"}), 201)
    elsewhere = ok(api("POST", "reader-studies/other/cases", "researcher", {"archive": "lungs"}), 201)["cases"][0]
    status, body = answer(api, {**study, "cases": [elsewhere["id"]]})
    assert status == 404 and f"No case {elsewhere['id']} in reader study 'chest'" in body["message"]
    status, body = api("POST", "reader-studies/chest/answers", "clinician", {"question": "1", "case": 1, "value": 1})
    assert status == 422 and "'question' must be the id" in body["message"]
    status, body = api("POST", "reader-studies/chest/answers", "clinician", {"question": 999, "case": 1, "value": 1})
    assert status == 404 and "No question 999" in body["message"]
    status, body = api("POST", "reader-studies/chest/answers", "clinician", raw="{not json")
    assert status == 400 and "not valid JSON" in body["message"]
    status, body = api("POST", "reader-studies/chest/answers", "clinician", {"question": 1, "case": 1})
    assert status == 400 and "Missing field(s): value" in body["message"]
    assert ok(api("GET", "reader-studies/chest/answers", "researcher"))["count"] == 0


def test_bad_questions_and_cases_get_a_message_and_write_nothing(api, study):
    for body, fragment in [
        ({"text": "Which?", "kind": "choice"}, "a choice question needs its choices"),
        ({"text": "Scan?", "kind": "image"}, "not a question kind"),
        ({"text": "Odd?", "kind": "video"}, "not a question kind"),
        ({"text": "Size?", "kind": "float", "options": {"colour": 1}}, "options of question"),
        ({"text": "", "kind": "bool"}, "'text'"),
        ({"text": "Sure?", "kind": "bool", "required": "no"}, "'required'"),
    ]:
        status, reply = api("POST", "reader-studies/chest/questions", "researcher", body)
        assert status == 422 and fragment in reply["message"], (body, reply)
    status, reply = api("POST", "reader-studies/chest/questions", "researcher", {"text": "Q", "kind": "bool", "x": 1})
    assert status == 400 and "Unknown field(s): x" in reply["message"]
    assert ok(api("GET", "reader-studies/chest/questions", "researcher"))["count"] == 2
    ok(api("POST", "archives", "researcher2", {"slug": "private", "title": "Private"}), 201)
    status, reply = api("POST", "reader-studies/chest/cases", "researcher", {"archive": "private"})
    assert status == 404 and "No archive 'private'" in reply["message"]
    assert ok(api("GET", "reader-studies/chest/cases", "researcher"))["count"] == 2
    status, reply = api("POST", "reader-studies/chest/members", "researcher", {"username": "x", "role": "owner"})
    assert status == 422 and "choose from" in reply["message"]
    status, reply = api("POST", "reader-studies", "researcher", {"slug": "chest", "title": "again"})
    assert status == 409 and "exists already" in reply["message"]
