"""The challenges API through the real hub and proxy, with the demo users' hub tokens."""

import uuid

import pytest
import requests

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def as_user(hub):
    """``as_user(name)``: a function that calls the challenges API with a token of ``name``."""
    tokens = {}

    def user(name):
        if name not in tokens:
            tokens[name] = hub.login(name).new_token()

        def call(method, path, **kwargs):
            headers = {"Authorization": f"token {tokens[name]}"}
            return requests.request(method, f"{hub.url}/services/challenges/api/v1/{path}", headers=headers, **kwargs)

        return call

    return user


def test_researcher_runs_a_challenge_that_a_data_scientist_joins(as_user):
    researcher, datascientist = as_user("researcher"), as_user("datascientist")
    slug = f"lungs-{uuid.uuid4().hex[:8]}"
    r = researcher("POST", "challenges", json={"slug": slug, "title": "Lungs", "description": "Segment them."})
    assert r.status_code == 201, r.text
    assert r.json()["my_roles"] == ["admin"]
    phase = {
        "slug": "final", "title": "Final", "visibility": "participants", "opens_at": "2030-01-01T00:00:00Z",
        "method_image": "registry.example/eval:1", "ground_truth_path": f"ground-truth/{slug}/final",
        "ground_truth_version": "v1",
    }  # fmt: skip
    r = researcher("POST", f"challenges/{slug}/phases", json=phase)
    assert r.status_code == 201, r.text
    assert r.json()["ground_truth_path"] == f"ground-truth/{slug}/final"
    naive = researcher("POST", f"challenges/{slug}/phases", json={**phase, "slug": "x", "opens_at": "2030-01-01"})
    assert naive.status_code == 400 and "time zone" in naive.json()["message"], naive.text

    # not a participant yet: the phase is not there
    assert datascientist("GET", f"challenges/{slug}/phases/final").status_code == 404
    r = datascientist("POST", f"challenges/{slug}/join", json={"message": "I have a model"})
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    r = researcher("GET", f"challenges/{slug}/join-requests?status=pending")
    assert [j["username"] for j in r.json()["results"]] == ["datascientist"]
    r = researcher("POST", f"challenges/{slug}/join-requests/{request_id}", json={"decision": "accept"})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text

    r = datascientist("GET", f"challenges/{slug}/phases/final")
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["visibility"] == "participants" and seen["opens_at"] == "2030-01-01T00:00:00+00:00"
    for hidden in ("archive", "method_image", "method_digest", "ground_truth_path", "ground_truth_version"):
        assert hidden not in seen
    mine = datascientist("GET", "challenges?role=participant").json()["results"]
    assert slug in [c["slug"] for c in mine]


def test_clinician_may_neither_create_nor_join_and_anonymous_is_refused(hub, as_user):
    researcher, clinician = as_user("researcher"), as_user("clinician")
    slug = f"heart-{uuid.uuid4().hex[:8]}"
    assert researcher("POST", "challenges", json={"slug": slug, "title": "Heart"}).status_code == 201
    r = clinician("POST", "challenges", json={"slug": f"{slug}-c", "title": "Mine"})
    assert r.status_code == 403 and "custom:challenges:create" in r.json()["message"]
    r = clinician("POST", f"challenges/{slug}/join")
    assert r.status_code == 403 and "custom:challenges:participate" in r.json()["message"]
    assert slug in [c["slug"] for c in clinician("GET", "challenges?limit=500").json()["results"]]
    r = requests.get(f"{hub.url}/services/challenges/api/v1/challenges")
    assert r.status_code == 403 and "Not signed in" in r.json()["message"]
