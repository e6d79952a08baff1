"""A researcher builds a reader study through the service pages in a real browser, behind the hub."""

import uuid

import pytest
import requests
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def make_archive(hub, slug):
    """Archive ``slug`` of the researcher with two cases, made through the API with a hub token."""
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    socket = {"slug": f"age-{slug}", "title": "Age", "kind": "integer"}
    assert requests.post(f"{api}/sockets", json=socket, headers=researcher).status_code == 201
    assert requests.post(f"{api}/archives", json={"slug": slug, "title": "Chest CT"}, headers=researcher).ok
    for age in (40, 63):
        item = {"values": {socket["slug"]: age}}
        assert requests.post(f"{api}/archives/{slug}/items", json=item, headers=researcher).status_code == 201


def add_question(page, text, kind, choices="", minimum="", maximum=""):
    form = page.locator("#new-question")
    form.locator("#text").fill(text)
    form.locator("#kind").select_option(kind)
    form.locator("#choices").fill(choices)
    form.locator("#minimum").fill(minimum)
    form.locator("#maximum").fill(maximum)
    form.locator("text=Add question").click()
    page.wait_for_load_state()


def test_researcher_builds_a_reader_study_through_the_pages(hub, artifacts):
    tag = uuid.uuid4().hex[:6]
    archive, slug = f"chest-{tag}", f"reads-{tag}"
    make_archive(hub, archive)
    home = f"{hub.url}/services/archives/"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])

        page.goto(home)  # OAuth through the hub; the reader studies are linked from the archives
        page.click("header >> text=Reader studies")
        page.wait_for_url("**/services/archives/reader-studies")
        page.fill("#slug", slug)
        page.fill("#title", "Chest reads")
        page.fill("#description", "Nodules in chest CT.")
        page.click("text=Create reader study")
        page.wait_for_url(f"**/reader-studies/{slug}")
        assert page.locator("h1").inner_text() == "Chest reads"
        assert "your roles: editor" in page.inner_text("main")

        # a choice question without choices: the page says why and keeps what was typed
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            add_question(page, "Which lobe?", "choice")
        assert response.value.status == 422 and "needs its choices" in page.locator(".error").inner_text()
        assert page.input_value("#text") == "Which lobe?"

        add_question(page, "Which lobe?", "choice", choices="upper\nmiddle\nlower")
        add_question(page, "Nodule?", "bool")
        add_question(page, "Size (mm)", "float", minimum="0", maximum="50")
        add_question(page, "Where?", "point")
        questions = page.locator("#questions table").inner_text()
        for shown in (
            "Which lobe?",
            "upper, middle, lower",
            "Nodule?",
            "yes / no",
            "decimal number",
            "from 0.0",
            "to 50.0",
            "point (annotation)",
        ):
            assert shown in questions, shown
        page.locator("#questions tr", has_text="Nodule?").locator("button[title='Move up']").click()
        page.wait_for_load_state()
        first = page.locator("#questions tbody tr").first.inner_text()
        assert "Nodule?" in first

        page.select_option("#archive", archive)
        page.click("text=Add cases")
        page.wait_for_load_state()
        assert "Cases (2)" in page.locator("#cases").inner_text()

        page.fill("#members #username", "clinician")
        page.select_option("#members #role", "reader")
        page.click("text=Add member")
        page.wait_for_load_state()
        assert "clinician" in page.locator("#members tr", has_text="reader").inner_text()
        page.screenshot(path=str(artifacts / "reader-study-page.png"), full_page=True)

        page.click("text=← Reader studies")
        page.wait_for_url("**/services/archives/reader-studies")
        row = page.locator("tr", has_text=slug)
        assert row.count() == 1 and "Chest reads" in row.inner_text() and "editor" in row.inner_text()
        assert blocked == []
        browser.close()
