"""A researcher makes a hanging protocol and a viewer configuration through the pages, in a real
browser behind the hub, and attaches both to a reader study; a clinician may only look."""

import uuid

import pytest
import requests
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def saved(page):
    """Save the form; the page goes back to the list."""
    page.click("#save")
    page.wait_for_url("**/services/archives/viewing")


def refused(page, words):
    """Save the form; the API refuses, and its message is shown above the form."""
    with page.expect_response(lambda r: "/api/v1/" in r.url and r.request.method in ("POST", "PATCH")) as response:
        page.click("#save")
    assert response.value.status == 422
    page.locator("#form-error").wait_for()
    assert words in page.locator("#form-error").inner_text()


def make_protocol(page, slug, artifacts):
    """Axial beside coronal, laid out as 1 row × 2 columns; first refused with two mains."""
    page.click("#new-hanging-protocol")
    page.wait_for_url("**/viewing/hanging-protocol")
    page.fill("#slug", slug)
    page.fill("#title", f"Axial and coronal {slug}")
    page.fill("#grid-columns", "2")
    second = page.locator("#viewports tbody tr").nth(1)
    assert second.locator(".viewport_name").input_value() == "secondary"
    second.locator(".orientation").select_option("coronal")
    second.locator(".label").fill("Coronal")
    main, secondary = (page.locator(f"#preview [data-viewport={name}]") for name in ("main", "secondary"))
    assert "coronal" in secondary.inner_text() and "Coronal" in secondary.inner_text()
    left, right = main.bounding_box(), secondary.bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 1  # side by side
    page.screenshot(path=str(artifacts / "hanging-protocol-form.png"), full_page=True)

    second.locator(".viewport_name").select_option("main")
    refused(page, "two viewports have the same name")
    page.screenshot(path=str(artifacts / "hanging-protocol-refused.png"), full_page=True)
    second.locator(".viewport_name").select_option("secondary")
    saved(page)


def make_configuration(page, slug):
    """Two presets (a window and percentiles), opening on Lung, coronal, zoom not linked, one
    hidden segment; first refused with two presets of one title."""
    page.click("#new-viewer-configuration")
    page.wait_for_url("**/viewing/viewer-configuration")
    page.fill("#slug", slug)
    page.fill("#title", f"CT lung {slug}")
    for title, by, first, second in (("Lung", "window", "1500", "-600"), ("Lung", "percentiles", "1", "99")):
        page.click("#add-preset")
        row = page.locator("#presets tbody tr").last
        row.locator(".title").fill(title)
        row.locator(".by").select_option(by)
        row.locator(".first").fill(first)
        row.locator(".second").fill(second)
    page.select_option("#default_window_preset", "Lung")
    page.select_option("#default_orientation", "coronal")
    page.uncheck("#link_zooming")
    page.fill("#default_overlay_alpha", "0.3")
    page.click("#add-segment")
    page.locator("#segments .value").fill("1")
    page.locator("#segments .name").fill("nodule")
    page.locator("#segments .visible").uncheck()
    refused(page, "two window presets have the same title")
    page.locator("#presets tbody tr").last.locator(".title").fill("Auto")
    saved(page)


def test_a_researcher_sets_how_cases_are_shown_and_a_clinician_only_looks(hub, artifacts):
    tag = uuid.uuid4().hex[:6]
    protocol, configuration, study = f"axial-coronal-{tag}", f"ct-lung-{tag}", f"shown-{tag}"
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    assert requests.post(f"{api}/reader-studies", json={"slug": study, "title": "Shown"}, headers=researcher).ok
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        page.goto(f"{hub.url}/services/archives/")
        page.click("header >> text=Viewer settings")
        page.wait_for_url("**/services/archives/viewing")

        make_protocol(page, protocol, artifacts)
        row = page.locator("#hanging-protocols tr", has_text=f"Axial and coronal {protocol}")
        assert "2 viewports in 1 row × 2 columns: main (axial), secondary “Coronal” (coronal)" in row.inner_text()
        make_configuration(page, configuration)
        row = page.locator("#viewer-configurations tr", has_text=f"CT lung {configuration}")
        for words in ("Lung: width 1500, centre -600 (first)", "Auto: 1st to 99th percentile", "coronal"):
            assert words in row.inner_text(), words
        page.screenshot(path=str(artifacts / "viewing-list.png"), full_page=True)

        row.locator("a").click()  # what was saved comes back into the form
        page.wait_for_url(f"**/viewing/viewer-configuration/{configuration}")
        assert page.locator("#presets tbody tr").count() == 2
        assert page.input_value("#default_window_preset") == "Lung" and not page.is_checked("#link_zooming")
        assert page.input_value("#default_overlay_alpha") == "0.3"
        assert not page.locator("#segments .visible").is_checked()
        page.screenshot(path=str(artifacts / "viewer-configuration-form.png"), full_page=True)

        page.goto(f"{hub.url}/services/archives/reader-studies/{study}")
        page.select_option("#viewer_configuration", configuration)
        page.select_option("#hanging_protocol", protocol)
        page.click("text=Save how readers read")
        page.wait_for_load_state()
        page.reload()
        assert page.input_value("#viewer_configuration") == configuration
        assert page.input_value("#hanging_protocol") == protocol
        page.locator("#reading").screenshot(path=str(artifacts / "reader-study-viewing.png"))
        assert blocked == []

        clinician, blocked = local_only_context(browser, viewport={"width": 1200, "height": 900})
        page = clinician.new_page()
        hub_login(page, hub.url, "clinician", hub.passwords["user_password"])
        page.goto(f"{hub.url}/services/archives/viewing")
        assert f"CT lung {configuration}" in page.inner_text("main")
        assert page.locator("#new-viewer-configuration, #new-hanging-protocol").count() == 0
        page.goto(f"{hub.url}/services/archives/viewing/hanging-protocol/{protocol}")
        assert page.locator("#save, #delete").count() == 0 and not page.locator("#add-viewport").is_visible()
        assert page.locator("#viewports .label").first.is_disabled()
        page.screenshot(path=str(artifacts / "hanging-protocol-read-only.png"), full_page=True)
        answer = page.evaluate(
            """async (url) => {
                const xsrf = document.querySelector("input[name=_xsrf]").value;
                const response = await fetch(url, {method: "PATCH", body: JSON.stringify({title: "Mine"}),
                    headers: {"X-XSRFToken": xsrf, "Content-Type": "application/json"}});
                return [response.status, (await response.json()).message];
            }""",
            f"{api}/hanging-protocols/{protocol}",
        )
        assert answer[0] == 403 and "who created hanging protocol" in answer[1]
        assert blocked == []
        browser.close()
