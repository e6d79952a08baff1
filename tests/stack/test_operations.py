"""Operators see the platform: each service's Prometheus ``metrics`` and the Operations page, for
the hub's admins only, through the real hub."""

import pytest
import requests
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright
from runtools import wait_for

pytestmark = pytest.mark.stack

SERVICES = ["archives", "challenges", "leaderboard"]


def metrics(hub, service, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}  # as Prometheus sends it
    return requests.get(f"{hub.url}/services/{service}/metrics", headers=headers, timeout=30)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_the_platforms_metrics_to_admins(hub, service):
    token = hub.login("admin").new_token()
    # the hub's managed worker registers a few seconds after the hub is ready
    assert wait_for(lambda: 'queue="cpu"} 1.0' in metrics(hub, service, token).text, timeout=60)
    response = metrics(hub, service, token)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    for line in ('gc_queue_depth{queue="import"}', 'gc_runs{kind="evaluation",state="succeeded"}',
                 'gc_run_duration_seconds_count{kind="algorithm_job"}', "# TYPE gc_workers gauge"):  # fmt: skip
        assert line in text, text


def test_metrics_are_refused_to_everyone_else(hub):
    for token in (hub.login("researcher").new_token(), hub.login("datascientist").new_token(), None):
        response = metrics(hub, "challenges", token)
        assert response.status_code == 403
        assert "gc_queue_depth" not in response.text
    refused = metrics(hub, "challenges", hub.login("researcher").new_token()).json()
    assert refused["message"] == "Only the hub's admins may see the platform's metrics."


@pytest.mark.browser
def test_admins_see_operations_at_a_glance_and_others_are_refused(hub, artifacts):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "admin", hub.passwords["admin_password"])
        page.goto(f"{hub.url}/hub/home")
        page.click("text=Operations")  # in the hub's own bar, for admins
        page.wait_for_selector("#queues")
        page.screenshot(path=str(artifacts / "operations.png"), full_page=True)
        queues = page.inner_text("#queues")
        assert "Algorithm jobs on CPU" in queues and "Evaluations" in queues
        assert "Algorithm jobs" in page.inner_text("#runs") and "Mean time of ended runs" in page.inner_text("#runs")
        assert "Algorithm jobs on CPU" in page.inner_text("#workers")  # the hub's managed worker, by node
        page.click("text=this service's metrics")
        assert "gc_queue_depth" in page.inner_text("body")

        other = context.browser.new_context()
        page = other.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        page.goto(f"{hub.url}/hub/home")
        assert page.locator("text=Operations").count() == 0
        response = page.goto(f"{hub.url}/services/challenges/operations")
        assert response.status == 403
        assert "Only the hub's admins may see the platform's metrics." in page.inner_text("main")
        assert page.locator("#queues").count() == 0
        assert blocked == []
        browser.close()
