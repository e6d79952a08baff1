"""The archive pages in-process: cases with thumbnails, a page per case, removing members."""

import re
from urllib.parse import urlencode

import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

from services.web.archive_pages import flattened

PAGES = "/services/archives/"


@pytest.fixture
def app(monkeypatch, tmp_path):
    with fake_hub_auth(monkeypatch), service_app("archives", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        assert (
            running.call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})[0] == 201
        )
        socket = {"slug": "scores-x", "title": "Scores", "kind": "any"}
        assert running.call("POST", "sockets", "researcher", socket)[0] == 201
        assert running.call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})[0] == 201
        case = {"values": {"age": 63, "scores-x": {"dice": {"mean": 0.9}, "cases": [1, 2]}}}
        assert running.call("POST", "archives/lungs/items", "researcher", case)[0] == 201
        member = {"username": "clinician", "role": "user"}
        assert running.call("POST", "archives/lungs/members", "researcher", member)[0] == 201
        yield running


def fetch(app, path, user, method="GET", body=None, cookies=""):
    request = HTTPRequest(
        app.get_url(path),
        method=method,
        body=body,
        headers={"X-Test-User": user, "Cookie": cookies},
        follow_redirects=False,
    )
    try:
        return app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        return e.response


def form_post(app, path, user, fields):
    page = fetch(app, path, user)
    cookies = "; ".join(c.split(";")[0] for c in page.headers.get_list("Set-Cookie"))
    token = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode()).group(1)
    return fetch(app, path, user, "POST", urlencode({**fields, "_xsrf": token}), cookies)


def test_json_values_become_rows_of_a_table():
    assert flattened({"dice": {"mean": 0.9}, "cases": [1, 2]}) == [
        ("dice.mean", "0.9"),
        ("cases[0]", "1"),
        ("cases[1]", "2"),
    ]


def test_each_case_has_a_page_with_its_values_as_text_and_tables(app):
    archive = fetch(app, f"{PAGES}archives/lungs", "clinician").body.decode()
    (link,) = re.findall(r'href="lungs/cases/(\d+)"', archive)
    page = fetch(app, f"{PAGES}archives/lungs/cases/{link}", "clinician")
    assert page.code == 200
    html = page.body.decode()
    assert "<th>dice.mean</th><td>0.9</td>" in html and ">63<" in html.replace(" ", "").replace("\n", "")
    assert "reading app" in html
    assert fetch(app, f"{PAGES}archives/lungs/cases/{int(link) + 1}", "clinician").code == 404
    assert fetch(app, f"{PAGES}archives/lungs/cases/{link}", "datascientist").code == 404  # not a member


def test_an_editor_removes_a_member_but_not_the_last_editor(app):
    response = form_post(
        app,
        f"{PAGES}archives/lungs",
        "researcher",
        {"action": "remove-member", "username": "clinician", "role": "user"},
    )
    assert response.code == 302
    assert app.call("GET", "archives/lungs/members", "researcher")[1]["user"] == []
    response = form_post(
        app,
        f"{PAGES}archives/lungs",
        "researcher",
        {"action": "remove-member", "username": "researcher", "role": "editor"},
    )
    assert response.code == 400 and "last editor" in response.body.decode()
    assert app.call("GET", "archives/lungs/members", "researcher")[1]["editor"] == ["researcher"]
