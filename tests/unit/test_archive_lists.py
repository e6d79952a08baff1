"""Archive lists: the same pages and counts whichever way the user's archives are found."""

import pytest
from apptools import fake_hub_auth, service_app

from services.web import archives


@pytest.fixture
def api(database_url, monkeypatch):
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as app:
        yield app.call


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


@pytest.mark.parametrize("many", [False, True], ids=["from-memberships", "walking-all-archives"])
def test_pages_and_counts(api, monkeypatch, many):
    for i in range(7):
        ok(api("POST", "archives", "researcher", {"slug": f"a-{i}", "title": f"A {i}"}), 201)
        if i % 2:  # the others are not shared with researcher2
            ok(api("POST", f"archives/a-{i}/members", "researcher", {"username": "researcher2", "role": "user"}), 201)
    ok(api("POST", "archives/a-3/members", "researcher", {"username": "researcher2", "role": "uploader"}), 201)
    monkeypatch.setattr(archives, "MANY_ARCHIVES", -1 if many else 10**9)

    first = ok(api("GET", "archives?limit=2", "researcher2"))
    assert first["count"] == 3  # a-3 once, though with two roles
    assert [(a["slug"], a["my_roles"]) for a in first["results"]] == [("a-1", ["user"]), ("a-3", ["uploader", "user"])]
    last = ok(api("GET", "archives?limit=2&offset=2", "researcher2"))
    assert (last["count"], [a["slug"] for a in last["results"]]) == (3, ["a-5"])
    assert ok(api("GET", "archives?offset=5", "researcher2")) == {"count": 3, "offset": 5, "limit": 100, "results": []}
    assert ok(api("GET", "archives", "researcher"))["count"] == 7
    everything = ok(api("GET", "archives?limit=3&offset=3", "admin"))
    assert everything["count"] == 7 and [a["my_roles"] for a in everything["results"]] == [[], [], []]
