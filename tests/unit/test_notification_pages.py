"""The notification pages and the bell in-process: what each user sees, marking read, choosing
how to hear of events (forms with their XSRF token)."""

import json
from urllib.parse import urlencode

import pytest
from apptools import fake_hub_auth, service_app
from tornado.httpclient import HTTPClientError, HTTPRequest

PAGES = "/services/challenges/notifications"


@pytest.fixture
def app(monkeypatch, tmp_path):
    with fake_hub_auth(monkeypatch), service_app("challenges", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        yield running


def fetch(app, path, user, form=None):
    """``(status, html, location)``; with ``form``, a POST with the XSRF token as a browser sends it."""
    headers, body, method = {"X-Test-User": user}, None, "GET"
    if form is not None:
        token = xsrf_cookie(fetched(app, HTTPRequest(app.get_url(PAGES + "/preferences"), headers=headers)))
        headers |= {"Cookie": f"_xsrf={token}", "Content-Type": "application/x-www-form-urlencoded"}
        body, method = urlencode({"_xsrf": token, **form}), "POST"
    request = HTTPRequest(app.get_url(path), method=method, headers=headers, body=body, follow_redirects=False)
    response = fetched(app, request)
    return response.code, response.body.decode() if response.body else "", response.headers.get("Location")


def fetched(app, request):
    try:
        return app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as e:
        return e.response


def xsrf_cookie(response):
    """The XSRF token that a page with a form set as a cookie (a browser sends it back with the form)."""
    cookies = dict(c.split(";")[0].split("=", 1) for c in response.headers.get_list("Set-Cookie"))
    return cookies["_xsrf"]


def test_the_bell_counts_my_unread_ones_and_the_page_lists_them(app):
    assert app.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"})[0] == 201
    assert app.call("POST", "challenges/lungs/join", "datascientist", {"message": "<b>let me in</b>"})[0] == 201

    status, html, _ = fetch(app, PAGES, "researcher")
    assert status == 200 and 'aria-label="Notifications, 1 unread"' in html and '<span class="count">1</span>' in html
    assert "datascientist asks to join challenge &#x27;Lungs&#x27;" in html and "&lt;b&gt;let me in&lt;/b&gt;" in html
    assert 'href="/services/challenges/challenges/lungs"' in html and "Mark all as read" in html

    status, html, _ = fetch(app, PAGES, "datascientist")  # not theirs
    assert 'aria-label="Notifications"' in html and "asks to join" not in html and "Mark all as read" not in html

    status, _, location = fetch(app, PAGES, "researcher", {})
    assert status == 302 and location == PAGES
    status, html, _ = fetch(app, PAGES, "researcher")
    assert "You have no unread notifications." in html and '<span class="count">' not in html


def test_choosing_how_to_hear_of_each_kind_of_event(app):
    path = PAGES + "/preferences"
    status, html, _ = fetch(app, path, "researcher")
    assert status == 200 and "Someone asks to join a challenge I run" in html and "Here and by e-mail" in html

    status, html, _ = fetch(app, path, "researcher", {"email": "nobody", "join-request": "email"})
    assert status == 422 and "name@example.org" in html and 'value="nobody"' in html

    status, _, location = fetch(app, path, "researcher", {"email": "res@example.org", "join-request": "off"})
    assert status == 302 and location.endswith("?saved=1")
    preferences = app.call("GET", "notifications/preferences", "researcher")[1]
    assert preferences["email"] == "res@example.org"
    assert {p["kind"]: p["delivery"] for p in preferences["preferences"]}["join-request"] == "off"


def test_the_hubs_bell_reads_its_count_from_a_page_route(app):
    assert app.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"})[0] == 201
    assert app.call("POST", "challenges/lungs/join", "datascientist", {})[0] == 201
    status, body, _ = fetch(app, PAGES + "/bell", "researcher")
    assert status == 200 and json.loads(body) == {"unread": 1}
    assert json.loads(fetch(app, PAGES + "/bell", "datascientist")[1]) == {"unread": 0}
