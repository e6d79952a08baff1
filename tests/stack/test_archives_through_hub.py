"""The archives API through the real hub and proxy, with real tokens."""

import uuid

import pytest
import requests

pytestmark = pytest.mark.stack


def test_researcher_builds_an_archive_others_see_only_when_shared(hub):
    slug = f"chest-{uuid.uuid4().hex[:6]}"
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    clinician = {"Authorization": f"token {hub.login('clinician').new_token()}"}

    r = requests.post(f"{api}/archives", json={"slug": slug, "title": "Chest CT"}, headers=researcher)
    assert r.status_code == 201, r.text
    assert requests.get(f"{api}/archives/{slug}", headers=clinician).status_code == 404
    r = requests.post(f"{api}/archives", json={"slug": f"{slug}-c", "title": "x"}, headers=clinician)
    assert r.status_code == 403 and "custom:archives:create" in r.json()["message"]

    r = requests.post(
        f"{api}/archives/{slug}/members", json={"username": "clinician", "role": "user"}, headers=researcher
    )
    assert r.status_code == 201
    r = requests.get(f"{api}/archives/{slug}", headers=clinician)
    assert r.status_code == 200 and r.json()["my_roles"] == ["user"]
    assert requests.get(f"{api}/archives/{slug}").status_code == 403  # no token at all
