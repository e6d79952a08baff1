"""The reader-study pages in-process: forms (with their XSRF token) and what each user sees."""

import re
from urllib.parse import urlencode

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

from services.web.reader_study_pages import readable

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]
PAGES = "/services/archives/reader-studies"


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setitem(apptools.USERS, "researcher", {**apptools.USERS["researcher"], "scopes": RESEARCHER_SCOPES})
    with fake_hub_auth(monkeypatch), service_app("archives", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        yield running


def get(app, path, user, cookies=""):
    request = HTTPRequest(app.get_url(path), headers={"X-Test-User": user, "Cookie": cookies}, follow_redirects=False)
    try:
        return app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        return e.response


def xsrf(app):
    """The cookies a page with a form sets, and the XSRF token to send with a form, as a browser
    has them (the researcher's list page always has a form)."""
    response = get(app, PAGES, "researcher")
    cookies = dict(c.split(";")[0].split("=", 1) for c in response.headers.get_list("Set-Cookie"))
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["_xsrf"]


def multipart(form, files):
    boundary = "gc-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in form.items()]
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n{content}\r\n"
        )
    return "".join(parts) + f"--{boundary}--\r\n", f"multipart/form-data; boundary={boundary}"


def fetch(app, path, user, form=None, files=None):
    """``(status, html)`` of a page; with ``form``, a POST carrying the XSRF token as a browser would."""
    if form is None:
        response = get(app, path, user)
        return response.code, response.body.decode()
    cookies, token = xsrf(app)
    form = {"_xsrf": token, **form}
    if files:
        body, content_type = multipart(form, files)
    else:
        body, content_type = urlencode(form), "application/x-www-form-urlencoded"
    headers = {"X-Test-User": user, "Cookie": cookies, "Content-Type": content_type}
    request = HTTPRequest(app.get_url(path), method="POST", headers=headers, body=body, follow_redirects=False)
    try:
        response = app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        response = e.response
    return response.code, response.body.decode() if response.body else ""


def test_a_researcher_builds_a_study_through_the_pages(app):
    app.call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    app.call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"})
    for age in (40, 63):
        app.call("POST", "archives/lungs/items", "researcher", {"values": {"age": age}})

    status, html = fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    assert status == 302, html
    study = f"{PAGES}/chest"
    questions = [
        {"text": "Nodule?", "kind": "bool", "required": "on"},
        {"text": "Lobe", "kind": "choice", "choices": "upper\nlower\n", "minimum": "3"},  # bounds ignored
        {"text": "Size (mm)", "kind": "float", "minimum": "0", "maximum": "50"},
    ]
    for question in questions:
        assert fetch(app, study, "researcher", {"action": "question", **question})[0] == 302
    assert fetch(app, study, "researcher", {"action": "cases", "archive": "lungs"})[0] == 302
    assert fetch(app, study, "researcher", {"action": "member", "username": "clinician", "role": "reader"})[0] == 302
    listed = app.call("GET", "reader-studies/chest/questions", "researcher")[1]["results"]
    assert [(q["text"], q["kind"], q["options"], q["required"]) for q in listed] == [
        ("Nodule?", "bool", {}, True),
        ("Lobe", "choice", {"choices": ["upper", "lower"]}, False),
        ("Size (mm)", "float", {"minimum": 0.0, "maximum": 50.0}, False),
    ]
    ids = [q["id"] for q in listed]
    assert fetch(app, study, "researcher", {"action": "move", "question": ids[2], "position": "0"})[0] == 302
    texts = [q["text"] for q in app.call("GET", "reader-studies/chest/questions", "researcher")[1]["results"]]
    assert texts == ["Size (mm)", "Nodule?", "Lobe"]

    cases = [c["id"] for c in app.call("GET", "reader-studies/chest/cases", "researcher")[1]["results"]]
    app.call("POST", "reader-studies/chest/answers", "clinician", {"question": ids[0], "case": cases[0], "value": True})
    csv = f"case,question,value\n{cases[0]},Nodule?,true\n{cases[1]},Nodule?,no\n"
    form = {"action": "ground-truth"}
    assert fetch(app, study, "researcher", form, files={"ground_truth": ("truth.csv", csv)})[0] == 302

    status, html = fetch(app, study, "researcher")
    assert status == 200
    for text in (
        "Chest reads",
        "decimal number",
        "upper, lower",
        "from 0.0",
        "to 50.0",
        "clinician",
        "2 answers of ground truth",
        "ground truth",
        "1 of 2",
        "0.50",
    ):
        assert text in html, text
    assert re.search(r'data-reader="clinician"', html)

    status, html = fetch(app, PAGES, "researcher")
    assert status == 200 and 'href="reader-studies/chest"' in html and "New reader study" in html


def test_mistakes_are_shown_with_what_was_typed(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    study = f"{PAGES}/chest"
    status, html = fetch(app, study, "researcher", {"action": "question", "text": "Which lobe?", "kind": "choice"})
    assert status == 422 and "a choice question needs its choices" in html and 'value="Which lobe?"' in html
    status, html = fetch(
        app, study, "researcher", {"action": "question", "text": "Size", "kind": "float", "minimum": "small"}
    )
    assert status == 400 and "must be one, not &#x27;small&#x27;" in html
    status, html = fetch(
        app, study, "researcher", {"action": "ground-truth"}, files={"ground_truth": ("t.csv", "a,b\n")}
    )
    assert status == 422 and "missing: case, question, value" in html
    status, html = fetch(
        app, study, "researcher", {"action": "remove-member", "username": "researcher", "role": "editor"}
    )
    assert status == 409 and "last editor" in html
    status, html = fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Again"})
    assert status == 409 and "exists already" in html and 'value="Again"' in html
    status, html = fetch(app, study, "researcher", {"action": "member", "username": " ", "role": "reader"})
    assert status == 422 and "must be a hub username" in html
    question = app.call("POST", "reader-studies/chest/questions", "researcher", {"text": "Q?", "kind": "bool"})[1]
    status, html = fetch(app, study, "researcher", {"action": "move", "question": question["id"], "position": "x"})
    assert status == 422 and "position&#x27; must be a whole number from 0 to 0" in html


def test_an_editor_deletes_the_study_from_its_page(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    status, _ = fetch(app, f"{PAGES}/chest", "researcher", {"action": "delete"})
    assert status == 302
    assert fetch(app, f"{PAGES}/chest", "researcher")[0] == 404
    assert 'href="reader-studies/chest"' not in fetch(app, PAGES, "researcher")[1]


def test_readers_see_their_own_answers_and_no_forms(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    fetch(app, f"{PAGES}/chest", "researcher", {"action": "member", "username": "clinician", "role": "reader"})
    status, html = fetch(app, f"{PAGES}/chest", "clinician")
    assert status == 200 and "Chest reads" in html
    assert "<form" not in html.split("</header>")[1] and "Upload ground truth" not in html
    assert fetch(app, f"{PAGES}/chest", "clinician", {"action": "member", "username": "x", "role": "reader"})[0] == 403
    assert fetch(app, f"{PAGES}/chest", "datascientist")[0] == 404
    status, html = fetch(app, PAGES, "clinician")
    assert "New reader study" not in html and 'href="reader-studies/chest"' in html


def test_answers_by_reader_and_case_are_readable_and_escaped(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    app.call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    app.call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"})
    app.call("POST", "archives/lungs/items", "researcher", {"values": {"age": 40}})
    app.call("POST", "reader-studies/chest/cases", "researcher", {"archive": "lungs"})
    for reader in ("clinician", "datascientist"):
        app.call("POST", "reader-studies/chest/members", "researcher", {"username": reader, "role": "reader"})
    questions = [{"text": "<b>Where</b>?", "kind": "point"}, {"text": "Nodule?", "kind": "bool"},
                 {"text": "Notes", "kind": "string", "required": False}]  # fmt: skip
    ids = [app.call("POST", "reader-studies/chest/questions", "researcher", q)[1]["id"] for q in questions]
    case = app.call("GET", "reader-studies/chest/cases", "researcher")[1]["results"][0]["id"]
    for question, value in zip(ids, [{"type": "Point", "point": [1.5, 2, 3]}, True, "<script>x</script>"], strict=True):
        app.call(
            "POST", "reader-studies/chest/answers", "clinician", {"question": question, "case": case, "value": value}
        )
    app.call(
        "POST", "reader-studies/chest/answers", "datascientist", {"question": ids[1], "case": case, "value": False}
    )

    status, html = fetch(app, f"{PAGES}/chest", "researcher")
    assert status == 200
    rows = re.findall(r'<tr data-reader="([^"]+)"><td>[^<]*</td><td>(\d+)</td>', html)
    assert rows == [("clinician", str(case)), ("datascientist", str(case))]
    for text in (
        "(1.5, 2, 3)",
        "<td>yes</td>",
        "<td>no</td>",
        "&lt;script&gt;x&lt;/script&gt;",
        "&lt;b&gt;Where&lt;/b&gt;?",
        'href="../api/v1/reader-studies/chest/answers?format=csv"',
        'id="leaderboard"',
        "Educational mode: <strong>off",
    ):
        assert text in html, text
    assert "<script>x" not in html and "<b>Where" not in html

    status, html = fetch(app, f"{PAGES}/chest", "clinician")
    assert status == 200 and 'data-reader="datascientist"' not in html and 'data-reader="clinician"' in html
    assert "You have answered 1 of 1 cases." in html and "Every case is answered." in html
    assert 'id="leaderboard"' not in html and "Download your answers as CSV" in html
    status, html = fetch(app, f"{PAGES}/chest", "datascientist")
    assert "You have answered 0 of 1 cases." in html and f"Next: case {case}." in html


def test_editors_turn_educational_mode_on_and_off(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    assert fetch(app, f"{PAGES}/chest", "researcher", {"action": "educational", "educational": "on"})[0] == 302
    assert app.call("GET", "reader-studies/chest", "researcher")[1]["educational"] is True
    status, html = fetch(app, f"{PAGES}/chest", "researcher")
    assert "Educational mode: <strong>on" in html and "Turn educational mode off" in html
    assert fetch(app, f"{PAGES}/chest", "researcher", {"action": "educational", "educational": "off"})[0] == 302
    assert app.call("GET", "reader-studies/chest", "researcher")[1]["educational"] is False
    fetch(app, f"{PAGES}/chest", "researcher", {"action": "member", "username": "clinician", "role": "reader"})
    assert fetch(app, f"{PAGES}/chest", "clinician", {"action": "educational", "educational": "on"})[0] == 403


def test_editors_set_how_readers_read_in_words(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    layout = [{"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 1}]
    protocol = {"slug": "single", "title": "One big viewport", "layout": layout}
    assert app.call("POST", "hanging-protocols", "researcher", protocol)[0] == 201
    status, html = fetch(app, f"{PAGES}/chest", "researcher")
    assert "Readers may go back and forth between cases" in html and "One big viewport" in html
    form = {"action": "reading", "allow_case_navigation": "on", "roll_over_answers_for_n_cases": "1"}
    status, html = fetch(app, f"{PAGES}/chest", "researcher", form)  # refused: says why, changes nothing
    assert status == 422 and "turn off case navigation" in html
    form = {"action": "reading", "roll_over_answers_for_n_cases": "1", "end_of_study_text": "Thank you!",
            "hanging_protocol": "single", "leaderboard_accessible_to_readers": "on"}  # fmt: skip
    assert fetch(app, f"{PAGES}/chest", "researcher", form)[0] == 302
    study = app.call("GET", "reader-studies/chest", "researcher")[1]
    assert (study["allow_case_navigation"], study["allow_answer_modification"]) == (False, False)
    assert (study["roll_over_answers_for_n_cases"], study["end_of_study_text"]) == (1, "Thank you!")
    assert study["hanging_protocol"] == "single" and study["viewer_configuration"] is None
    status, html = fetch(
        app, f"{PAGES}/chest", "researcher", {"action": "reading", "roll_over_answers_for_n_cases": "two"}
    )
    assert status == 400 and "must be a whole number, not &#x27;two&#x27;" in html


@pytest.mark.parametrize(("value", "shown"), [
    (None, "—"), (True, "yes"), (False, "no"), (3, "3"), (12.5, "12.5"), (22.049999999999997, "22.05"),
    ("high", "high"),
    (["a", "b"], "a, b"), ({"type": "Point", "point": [22.05, 22.05, 31.0]}, "(22.05, 22.05, 31)"),
    ({"type": "Multiple points", "points": [{"point": [1, 2, 3]}, {"point": [4, 5, 6]}]}, "(1, 2, 3); (4, 5, 6)"),
    ({"type": "2D bounding box", "corners": [[4, 1, 0], [1, 1, 0], [1, 6.5, 0], [4, 6.5, 0]]}, "(1, 1) to (4, 6.5)"),
])  # fmt: skip
def test_answers_are_shown_readably(value, shown):
    assert readable(value) == shown


def test_choice_answers_are_shown_by_their_titles(app):
    fetch(app, PAGES, "researcher", {"slug": "chest", "title": "Chest reads"})
    fetch(app, f"{PAGES}/chest", "researcher", {"action": "member", "username": "clinician", "role": "reader"})
    question = {"text": "Lobe?", "kind": "multiple-choice", "options": {"choices": ["upper", "lower"]}}
    question = app.call("POST", "reader-studies/chest/questions", "researcher", question)[1]
    assert app.call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})[0] == 201
    assert app.call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})[0] == 201
    assert app.call("POST", "archives/lungs/items", "researcher", {"values": {"age": 63}})[0] == 201
    case = app.call("POST", "reader-studies/chest/cases", "researcher", {"archive": "lungs"})[1]["cases"][0]["id"]
    ids = [choice["id"] for choice in question["choices"]]
    body = {"question": question["id"], "case": case, "value": ids[::-1]}
    assert app.call("POST", "reader-studies/chest/answers", "clinician", body)[0] == 201
    assert "lower, upper" in fetch(app, f"{PAGES}/chest", "researcher")[1]
