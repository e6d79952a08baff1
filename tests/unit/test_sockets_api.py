"""The sockets API in-process: grand-challenge's common sockets are there with its slugs, kinds and
paths; researchers define sockets with a relative path, read one, and change theirs within
grand-challenge's rules (a socket in use keeps its kind and path; the platform's never change)."""

import pytest
from apptools import fake_hub_auth, service_app


@pytest.fixture
def api(database_url, monkeypatch):
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as app:
        yield app.call


@pytest.mark.parametrize(
    "slug, kind, kind_name, super_kind, path",
    [
        ("ct-image", "image", "Image", "Image", "images/ct"),
        ("generic-medical-image", "image", "Image", "Image", ""),
        ("generic-overlay", "heat-map", "Heat Map", "Image", "images"),
        ("covid-19-probability-score", "float", "Float", "Value", "probability.json"),
        ("metrics-json-file", "any", "Anything", "Value", "metrics.json"),
        ("predictions-csv-file", "csv", "CSV file", "File", "predictions.csv"),
    ],
)
def test_grand_challenges_common_sockets_are_shipped(api, slug, kind, kind_name, super_kind, path):
    status, socket = api("GET", f"sockets/{slug}", "datascientist")
    assert status == 200, socket
    assert (socket["kind"], socket["kind_name"], socket["super_kind"]) == (kind, kind_name, super_kind)
    assert socket["relative_path"] == path and socket["created_by"] == "gc-hub"


def test_a_researcher_defines_a_socket_with_a_relative_path_and_reads_it(api):
    body = {"slug": "lesion-volume", "title": "Lesion volume", "kind": "float", "relative_path": "volumes/lesion.json"}
    status, made = api("POST", "sockets", "researcher", body)
    assert status == 201, made
    assert made["relative_path"] == "volumes/lesion.json" and made["super_kind"] == "Value" and not made["in_use"]
    assert api("GET", "sockets/lesion-volume", "clinician")[1] == made
    status, body = api("GET", "sockets/no-such-socket", "researcher")
    assert status == 404 and "no socket 'no-such-socket'" in body["message"]


@pytest.mark.parametrize(
    "kind, path, problem",
    [
        ("image", "scans/ct", "a folder under images/"),
        ("image", "images/ct.mha", "a folder under images/"),
        ("float", "images/score.json", "only images go under images/"),
        ("csv", "table.json", "must end with .csv"),
        ("any", "inputs.json", "inputs.json is where the platform describes the inputs"),
        ("any", "runs/3f2b8c1e-1d2a-4c3b-9a8e-0123456789ab.json", "may not hold a UUID"),
        ("float", "../score.json", "leads outside"),
    ],
)
def test_relative_paths_follow_grand_challenges_rules(api, kind, path, problem):
    status, body = api(
        "POST", "sockets", "researcher", {"slug": "x", "title": "x", "kind": kind, "relative_path": path}
    )
    assert status in (400, 422) and problem in body["message"], body


def test_two_sockets_cannot_share_a_path(api):
    status, body = api("POST", "sockets", "researcher", {"slug": "my-ct", "title": "CT", "kind": "image",
                                                         "relative_path": "images/ct"})  # fmt: skip
    assert status == 409 and "'ct-image' has the relative path 'images/ct'" in body["message"]


def test_only_its_creator_changes_a_socket_and_never_the_platforms(api):
    api("POST", "sockets", "researcher", {"slug": "grade", "title": "Grade", "kind": "integer"})
    status, body = api("PATCH", "sockets/grade", "researcher2", {"title": "Mine now"})
    assert status == 403 and "Only researcher, who defined socket 'grade'" in body["message"]
    status, body = api("PATCH", "sockets/ct-image", "admin", {"relative_path": "images/scan"})
    assert status == 403 and "grand-challenge's common sockets" in body["message"]
    status, changed = api("PATCH", "sockets/grade", "researcher", {"title": "Tumour grade", "kind": "string"})
    assert status == 200 and changed["title"] == "Tumour grade" and changed["kind"] == "string"
    assert changed["relative_path"] == "grade.json"
    status, changed = api("PATCH", "sockets/grade", "researcher", {"kind": "csv"})  # the old path does not fit
    assert status == 200 and changed["relative_path"] == "grade.csv"


def test_a_socket_in_use_keeps_its_kind_and_path_and_values_fit_a_new_schema(api):
    api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})
    api("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    assert api("POST", "archives/lungs/items", "researcher", {"values": {"age": 63}})[0] == 201
    assert api("GET", "sockets/age", "researcher")[1]["in_use"]
    for change in ({"kind": "float"}, {"relative_path": "years.json"}):
        status, body = api("PATCH", "sockets/age", "researcher", change)
        assert status == 409 and "is in use" in body["message"], body
    status, body = api("PATCH", "sockets/age", "researcher", {"extra_schema": {"maximum": 50}})
    assert status == 422 and "does not fit it" in body["message"] and "63" not in body["message"]
    status, body = api("PATCH", "sockets/age", "researcher", {"extra_schema": {"maximum": 130}, "title": "Age (y)"})
    assert status == 200 and body["extra_schema"] == {"maximum": 130} and body["title"] == "Age (y)"
