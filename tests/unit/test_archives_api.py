"""The archives API in-process: permissions, validation, pagination, nothing half-written."""

import pytest
from apptools import fake_hub_auth, service_app


@pytest.fixture
def api(database_url, monkeypatch):
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as app:
        yield app.call


@pytest.fixture
def archive(api):
    status, body = api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lung CT"})
    assert status == 201, body
    return body


def test_researcher_creates_archive_and_becomes_its_editor(api, archive):
    assert archive["my_roles"] == ["editor"] and archive["created_by"] == "researcher"
    status, listing = api("GET", "archives", "researcher")
    assert status == 200 and [a["slug"] for a in listing["results"]] == ["lungs"]


def test_who_may_create_archives(api):
    for user in ("datascientist", "clinician"):
        status, body = api("POST", "archives", user, {"slug": f"x-{user}", "title": "x"})
        assert status == 403 and "custom:archives:create" in body["message"]
    assert api("POST", "archives", None, {"slug": "anon", "title": "x"})[0] == 403


def test_private_archives_are_invisible_to_others_but_admins(api, archive):
    for user in ("researcher2", "datascientist", "clinician"):
        assert api("GET", "archives", user)[1]["results"] == []
        status, body = api("GET", "archives/lungs", user)
        assert status == 404 and "No archive 'lungs'" in body["message"]
    assert api("GET", "archives/lungs", "admin")[0] == 200


def test_roles_decide_reading_uploading_and_editing(api, archive):
    api("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    assert api("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "user"})[0] == 201
    assert api("GET", "archives/lungs", "clinician")[0] == 200
    status, body = api("POST", "archives/lungs/items", "clinician", {"values": {"age": 40}})
    assert status == 403 and "add cases" in body["message"]
    status, body = api("PATCH", "archives/lungs", "clinician", {"title": "mine"})
    assert status == 403
    api("POST", "archives/lungs/members", "researcher", {"username": "datascientist", "role": "uploader"})
    assert api("POST", "archives/lungs/items", "datascientist", {"values": {"age": 40}})[0] == 201
    status, members = api("GET", "archives/lungs/members", "researcher")
    assert members == {"editor": ["researcher"], "uploader": ["datascientist"], "user": ["clinician"]}
    status, body = api("POST", "archives/lungs/members", "researcher", {"username": "x", "role": "owner"})
    assert status == 422 and "choose from" in body["message"]


def test_last_editor_cannot_leave(api, archive):
    status, body = api("DELETE", "archives/lungs/members?username=researcher&role=editor", "researcher")
    assert status == 400 and "last editor" in body["message"]


def test_bad_input_gets_a_message_and_writes_nothing(api, archive):
    status, body = api("POST", "archives", "researcher", raw="{not json")
    assert status == 400 and "not valid JSON" in body["message"]
    status, body = api("POST", "archives", "researcher", {"slug": "a", "title": "t", "owner": "me"})
    assert status == 400 and "Unknown field(s): owner" in body["message"]
    status, body = api("POST", "archives", "researcher", {"title": "t"})
    assert status == 400 and "Missing field(s): slug" in body["message"]
    status, body = api("POST", "archives", "researcher", {"slug": "lungs", "title": "again"})
    assert status == 409 and "exists already" in body["message"]
    status, body = api("POST", "archives", "researcher", {"slug": "Bad Slug!", "title": "t"})
    assert status == 422
    status, body = api("POST", "archives", "researcher", raw="[1, 2]")
    assert status == 400 and "JSON object" in body["message"]
    assert api("GET", "archives", "researcher")[1]["count"] == 1


def test_oversized_body_is_refused_with_a_message(api):
    status, body = api("POST", "archives", "researcher", raw='{"slug": "big", "title": "' + "x" * 1_100_000 + '"}')
    assert status == 413 and "upload session" in body["message"]


def test_case_values_are_checked_against_their_socket(api, archive):
    api("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    api(
        "POST",
        "sockets",
        "researcher",
        {"slug": "ct", "title": "CT", "kind": "image", "relative_path": "images/lung-ct"},
    )
    status, body = api("POST", "archives/lungs/items", "researcher", {"values": {"age": "old"}})
    assert status == 422 and "'age'" in body["message"]
    status, body = api("POST", "archives/lungs/items", "researcher", {"values": {"ct": 1}})
    assert status == 422 and "upload them instead" in body["message"]
    status, body = api("POST", "archives/lungs/items", "researcher", {"values": {"age": 3, "nope": 1}})
    assert status == 404 and "'nope'" in body["message"]
    assert api("GET", "archives/lungs/items", "researcher")[1]["count"] == 0  # nothing half-written
    status, item = api("POST", "archives/lungs/items", "researcher", {"values": {"age": 63}})
    assert status == 201 and item["values"] == {"age": 63}


def test_sockets_listing_filters_and_paginates(api):
    for i in range(5):
        api("POST", "sockets", "researcher", {"slug": f"s{i}", "title": f"S{i}", "kind": "integer"})
    api("POST", "sockets", "researcher", {"slug": "seg", "title": "Seg", "kind": "segmentation"})
    status, page = api("GET", "sockets?kind=integer&limit=2&offset=1", "clinician")
    assert status == 200 and page["count"] == 5 and [s["slug"] for s in page["results"]] == ["s1", "s2"]
    status, body = api("GET", "sockets?limit=0", "clinician")
    assert status == 400 and "?limit= must be from 1 to 500" in body["message"]
    status, body = api("GET", "sockets?kind=video", "clinician")
    assert status == 422 and "'kind' must be one of" in body["message"]
    status, body = api("POST", "sockets", "datascientist", {"slug": "x", "title": "X", "kind": "float"})
    assert status == 403
