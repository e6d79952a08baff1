"""Researchers run challenges through the service pages in a real browser, behind the hub."""

import uuid

import pytest
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_researcher_runs_a_challenge_through_the_pages(hub, artifacts):
    slug = f"lungs-{uuid.uuid4().hex[:6]}"
    challenges = f"{hub.url}/services/challenges/"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])

        page.goto(challenges)  # OAuth through the hub, back to the page
        page.fill("#slug", slug)
        page.fill("#title", "Lung nodules")
        page.fill("#description", "Find them.")
        page.click("text=Create challenge")
        page.wait_for_url(f"**/services/challenges/challenges/{slug}")
        assert page.locator("h1").inner_text() == "Lung nodules"
        assert "your roles: admin" in page.inner_text("main")
        assert "UTC" in page.inner_text("form:has-text('New phase')")

        # a phase with a bad setting: the page says why and keeps what was typed
        page.fill("#slug", "final")
        page.fill("#title", "Final test")
        page.select_option("#visibility", "participants")
        page.fill("#opens_at", "2030-01-31T12:00")
        page.fill("#closes_at", "2030-01-01T12:00")
        page.fill("#method_image", "registry.example/eval:1")
        page.fill("#ground_truth_path", f"ground-truth/{slug}/final")
        page.fill("#ground_truth_version", "v1")
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            page.click("text=Create phase")
        assert response.value.status == 400
        assert "closes_at must be later than opens_at" in page.locator(".error").inner_text()
        assert page.input_value("#ground_truth_path") == f"ground-truth/{slug}/final"
        assert page.input_value("#visibility") == "participants"

        page.fill("#closes_at", "2030-03-01T12:00")
        page.click("text=Create phase")
        page.wait_for_load_state()
        phases = page.locator("section.card", has_text="Phases")
        assert "Final test" in phases.inner_text() and "2030-01-31T12:00" in phases.inner_text()

        page.goto(challenges)
        assert page.locator(f"text={slug}").count() == 1
        page.fill("#slug", slug)  # taken: the page says so and keeps what was typed
        page.fill("#title", "Lung nodules again")
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            page.click("text=Create challenge")
        assert response.value.status == 409 and "exists already" in page.locator(".error").inner_text()
        assert page.input_value("#title") == "Lung nodules again"
        page.goto(f"{challenges}challenges/{slug}")
        page.screenshot(path=str(artifacts / "challenge-page.png"), full_page=True)

        # the admin sees the phase's settings in its form, and may change them
        page.click("text=Final test")
        page.wait_for_url(f"**/challenges/{slug}/phases/final")
        assert page.input_value("#opens_at") == "2030-01-31T12:00"
        assert page.input_value("#ground_truth_version") == "v1"
        page.fill("#ground_truth_version", "v2")
        page.click("text=Save phase")
        page.wait_for_load_state()
        assert page.input_value("#ground_truth_version") == "v2"

        # the datascientist asks to join, through the page
        other = browser.new_context(service_workers="block")
        ds = other.new_page()
        hub_login(ds, hub.url, "datascientist", hub.passwords["user_password"])
        assert ds.goto(f"{challenges}challenges/{slug}/phases/final").status == 404
        ds.goto(challenges)
        ds.locator("tr", has_text=slug).locator("text=Request to join").click()
        ds.wait_for_load_state()
        assert "pending" in ds.locator("tr", has_text=slug).inner_text()

        # the researcher accepts
        page.goto(f"{challenges}challenges/{slug}")
        requests = page.locator("section.card", has_text="Join requests")
        requests.locator("tr", has_text="datascientist").locator("text=Accept").click()
        page.wait_for_load_state()
        assert "No pending join requests" in page.locator("section.card", has_text="Join requests").inner_text()

        # the participant sees the phase, not what only admins see
        response = ds.goto(f"{challenges}challenges/{slug}/phases/final")
        assert response.status == 200
        ds.screenshot(path=str(artifacts / "phase-page-participant.png"), full_page=True)
        text = ds.inner_text("main")
        assert "Final test" in text and "participants" in text
        for hidden in ("ground_truth", f"ground-truth/{slug}/final", "method_image", "registry.example", "v2"):
            assert hidden not in text
        assert ds.locator("form").count() == 0
        xsrf = next(c["value"] for c in other.cookies() if c["name"] == "_xsrf" and "challenges" in c["path"])
        forbidden = other.request.post(
            f"{challenges}challenges/{slug}/phases/final",
            form={"_xsrf": xsrf, "slug": "final", "title": "Mine now"},
            headers={"X-XSRFToken": xsrf},
        )
        assert forbidden.status == 403 and "Only the admins" in forbidden.text()
        assert blocked == []
        browser.close()


def test_clinician_sees_no_create_form_and_may_not_create(hub):
    clinician = hub.login("clinician")
    page = clinician.get(f"{hub.url}/services/challenges/")
    assert page.status_code == 200
    assert "New challenge" not in page.text and "Request to join" not in page.text
    forged = clinician.post(f"{hub.url}/services/challenges/", data={"slug": "x", "title": "x"})
    assert forged.status_code == 403  # no XSRF token: refused before anything else
