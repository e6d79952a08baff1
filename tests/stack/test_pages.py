"""Researchers manage archives through the service pages in a real browser, behind the hub."""

import uuid

import pytest
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_researcher_creates_an_archive_through_the_pages(hub, artifacts):
    slug = f"brain-mri-{uuid.uuid4().hex[:6]}"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])

        page.goto(f"{hub.url}/services/archives/")  # OAuth through the hub, back to the page
        page.fill("#slug", slug)
        page.fill("#title", "Brain MRI")
        page.fill("#description", "T1 scans for the demo")
        page.click("text=Create archive")
        page.wait_for_url(f"**/services/archives/archives/{slug}")
        assert page.locator("h1").inner_text() == "Brain MRI"
        assert "your roles: editor" in page.inner_text("main")

        page.fill("#username", "clinician")
        page.select_option("#role", "user")
        page.click("text=Add member")
        page.wait_for_load_state()
        assert "clinician" in page.locator("section.card", has_text="Members").inner_text()

        page.goto(f"{hub.url}/services/archives/")
        assert page.locator(f"text={slug}").count() == 1

        # the same slug again: the page says why and keeps what was typed
        page.fill("#slug", slug)
        page.fill("#title", "Brain MRI again")
        page.click("text=Create archive")
        assert "exists already" in page.locator(".error").inner_text()
        assert page.input_value("#title") == "Brain MRI again"
        page.screenshot(path=str(artifacts / "archives-page.png"))
        assert blocked == []
        browser.close()


def test_clinician_sees_no_create_form_and_no_private_archive(hub):
    clinician = hub.login("clinician")
    page = clinician.get(f"{hub.url}/services/archives/")
    assert page.status_code == 200
    assert "New archive" not in page.text
    missing = clinician.get(f"{hub.url}/services/archives/archives/no-such-archive")
    assert missing.status_code == 404 and "No archive" in missing.text
    forged = clinician.post(f"{hub.url}/services/archives/", data={"slug": "x", "title": "x"})
    assert forged.status_code == 403  # no XSRF token: refused before anything else
