"""A reader study's cases on pages of their own (in-process): editors reach each from the study's
page and see its values as text; readers and strangers do not, and a case of another study is not
found."""

import re

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]
PAGES = "/services/archives/reader-studies"


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setitem(apptools.USERS, "researcher", {**apptools.USERS["researcher"], "scopes": RESEARCHER_SCOPES})
    with fake_hub_auth(monkeypatch), service_app("archives", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        assert (
            running.call("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})[0] == 201
        )
        assert running.call("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"})[0] == 201
        for age in (40, 63):
            assert running.call("POST", "archives/lungs/items", "researcher", {"values": {"age": age}})[0] == 201
        for slug in ("chest", "other"):
            assert running.call("POST", "reader-studies", "researcher", {"slug": slug, "title": slug.title()})[0] == 201
            assert running.call("POST", f"reader-studies/{slug}/cases", "researcher", {"archive": "lungs"})[0] == 201
        reader = {"username": "clinician", "role": "reader"}
        assert running.call("POST", "reader-studies/chest/members", "researcher", reader)[0] == 201
        yield running


def get(app, path, user):
    request = HTTPRequest(app.get_url(path), headers={"X-Test-User": user}, follow_redirects=False)
    try:
        response = app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        response = e.response
    return response.code, response.body.decode()


def test_an_editor_opens_each_case_from_the_study_page(app):
    status, study = get(app, f"{PAGES}/chest", "researcher")
    assert status == 200
    links = re.findall(r'href="[^"]*reader-studies/chest/cases/(\d+)">Case (\d)</a>', study)
    assert [number for _, number in links] == ["1", "2"]
    assert '{"value"' not in study and "age</code>: 40" in study  # values as text, not JSON
    status, page = get(app, f"{PAGES}/chest/cases/{links[1][0]}", "researcher")
    assert status == 200, page
    assert "Case 2 of 2" in page and "63" in page and "reading app" in page


def test_readers_strangers_and_other_studies_cases_get_no_case_page(app):
    chest = app.call("GET", "reader-studies/chest/cases", "researcher")[1]["results"][0]["id"]
    other = app.call("GET", "reader-studies/other/cases", "researcher")[1]["results"][0]["id"]
    status, page = get(app, f"{PAGES}/chest/cases/{chest}", "clinician")
    assert status == 403 and "ask an editor" in page
    assert get(app, f"{PAGES}/chest/cases/{chest}", "datascientist")[0] == 404
    status, page = get(app, f"{PAGES}/chest/cases/{other}", "researcher")
    assert status == 404 and "has no case" in page
    _, reader_view = get(app, f"{PAGES}/chest", "clinician")
    assert "/cases/" not in reader_view  # readers get no links to pages they may not open
