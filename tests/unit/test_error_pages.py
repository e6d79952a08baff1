"""Errors for browsers and for programs: a page with the navigation for a page's path, JSON for the
API's paths and for whoever asks for JSON; a browser near a page is sent there."""

import json
import re

import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def app(request, monkeypatch, tmp_path):
    """The challenges service, or the one a test names (indirect parametrization)."""
    service = getattr(request, "param", "challenges")
    with fake_hub_auth(monkeypatch), service_app(service, f"sqlite:///{tmp_path}/gc.sqlite") as running:
        yield running


def get(app, path, headers):
    request = HTTPRequest(
        app.get_url(path), headers={"X-Test-User": "datascientist", **headers}, follow_redirects=False
    )
    try:
        return app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        return e.response


def test_a_browser_gets_a_page_with_the_navigation_and_a_way_on(app):
    response = get(app, "/services/challenges/challenges/no-such/phases/x/y", HTML)
    assert response.code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    for link in ("Challenges", "Archives", "Reader studies", "Leaderboards", 'href="/hub/home"'):
        assert link in page
    assert 'id="way-on"' not in page  # a parent naming a challenge may not exist: the start page instead
    assert 'href="/services/challenges/"' in page


def offered(page):
    """The way on that an error page offers: its nearest page, else the service's start page."""
    way_on = re.search(r'<a href="([^"]+)" id="way-on">', page) or re.search(r'<a href="([^"]+)">This service', page)
    return way_on.group(1)


@pytest.mark.parametrize(
    ("app", "path", "way_on"),
    [
        ("challenges", "challenges/no-such-slug/phases/x", "/services/challenges/"),
        ("challenges", "challenges/no-such-slug/phases/x/y", "/services/challenges/"),
        ("challenges", "challenges/no-such-slug/submissions/1/x", "/services/challenges/"),
        ("challenges", "challenges/no-such-slug/teams/x", "/services/challenges/"),
        ("challenges", "notifications/preferences/x", "/services/challenges/notifications/preferences"),
        ("challenges", "operations/x", "/services/challenges/"),
        ("archives", "archives/no-such-slug/cases/1/x", "/services/archives/"),
        ("archives", "reader-studies/no-such-slug/cases/1", "/services/archives/reader-studies"),
        ("archives", "reader-studies/no-such-slug/cases/x/y", "/services/archives/reader-studies"),
        ("archives", "viewing/hanging-protocol/no-such-slug/x", "/services/archives/viewing"),
    ],
    indirect=["app"],
)
def test_the_way_on_from_a_missing_deep_path_is_a_page_that_answers(app, path, way_on):
    response = get(app, f"/services/{app.name}/{path}", HTML)
    assert response.code == 404
    assert offered(response.body.decode()) == way_on
    assert get(app, way_on, HTML).code == 200


def test_a_missing_object_is_a_page_for_a_browser_and_json_for_a_program(app):
    page = get(app, "/services/challenges/challenges/no-such-challenge", HTML)
    assert page.code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "no-such-challenge" in page.body.decode()
    program = get(app, "/services/challenges/challenges/no-such-challenge", {"Accept": "application/json"})
    assert program.code == 404 and json.loads(program.body)["status"] == 404


def test_the_api_answers_json_even_to_a_browser(app):
    response = get(app, "/services/challenges/api/v1/nothing", HTML)
    assert response.code == 404 and response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["message"] == "No such endpoint: /services/challenges/api/v1/nothing"


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ("/services/challenges/demo-challenge", "/services/challenges/challenges/demo-challenge"),
        ("/services/challenges/challenges/demo-challenge/", "/services/challenges/challenges/demo-challenge"),
    ],
)
def test_a_shortened_url_leads_a_browser_to_the_page(app, path, to):
    response = get(app, path, HTML)
    assert response.code == 302 and response.headers["Location"] == to


def test_an_error_message_is_escaped(app):
    response = get(app, "/services/challenges/challenges/x/<script>/a/b", HTML)
    assert response.code == 404 and "<script>" not in response.body.decode()
