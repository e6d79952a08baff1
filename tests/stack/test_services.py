"""The archives, challenges and leaderboard services authenticate through the hub."""

import pytest
import requests
from runtools import wait_for

pytestmark = pytest.mark.stack

SERVICES = ["archives", "challenges", "leaderboard"]


@pytest.mark.parametrize("service", SERVICES)
def test_user_token_reaches_service_and_it_knows_who_asks(hub, service):
    token = hub.login("researcher").new_token()
    r = requests.get(f"{hub.url}/services/{service}/api/v1/me", headers={"Authorization": f"token {token}"})
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["name"] == "researcher"
    assert me["groups"] == ["researchers"]
    assert "custom:challenges:create" in me["scopes"]


@pytest.mark.parametrize("service", SERVICES)
def test_requests_without_valid_token_or_scope_are_refused(hub, service):
    url = f"{hub.url}/services/{service}/api/v1/me"
    anonymous = requests.get(url)
    assert anonymous.status_code == 403
    assert "Not signed in" in anonymous.json()["message"]
    forged = requests.get(url, headers={"Authorization": "token not-a-real-token"})
    assert forged.status_code == 403
    # a real token that lacks access to this service
    narrow = hub.login("datascientist").new_token(scopes=["read:users:name!user"])
    r = requests.get(url, headers={"Authorization": f"token {narrow}"})
    assert r.status_code == 403


def test_group_scopes_differ_per_group(hub):
    for username, has, lacks in [
        ("clinician", "custom:reader-studies:read", "custom:challenges:create"),
        ("datascientist", "custom:challenges:participate", "custom:archives:create"),
    ]:
        token = hub.login(username).new_token()
        me = requests.get(
            f"{hub.url}/services/challenges/api/v1/me", headers={"Authorization": f"token {token}"}
        ).json()
        assert has in me["scopes"] and lacks not in me["scopes"], me


def test_browser_login_reaches_service_page_through_oauth(hub):
    clinician = hub.login("clinician")
    page = clinician.get(f"{hub.url}/services/challenges/")
    assert page.status_code == 200
    assert '<span class="me">clinician</span>' in page.text


def test_health_reports_database_redis_and_the_managed_worker(hub):
    token = hub.login("researcher").new_token()
    url, headers = f"{hub.url}/services/archives/api/v1/health", {"Authorization": f"token {token}"}
    # The hub is ready before its worker has loaded and registered: that takes a few seconds.
    assert wait_for(lambda: requests.get(url, headers=headers).json()["workers"]["cpu"] >= 1, timeout=60)
    health = requests.get(url, headers=headers).json()
    assert health["status"] == "ok", health
    assert health["database"] == "ok" and health["redis"] == "ok"
    assert health["workers"]["cpu"] >= 1 and health["workers"]["evaluation"] >= 1
    assert health["workers"]["gpu"] == 0  # no GPU on this machine, so no GPU worker


def test_unknown_endpoint_is_a_json_404(hub):
    token = hub.login("researcher").new_token()
    r = requests.get(f"{hub.url}/services/archives/api/v1/nothing", headers={"Authorization": f"token {token}"})
    assert r.status_code == 404
    assert r.json() == {"status": 404, "message": "No such endpoint: /services/archives/api/v1/nothing"}


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_document_is_served_through_the_proxy(hub, service):
    r = requests.get(f"{hub.url}/services/{service}/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["info"]["title"] == f"gc-hub {service}"
