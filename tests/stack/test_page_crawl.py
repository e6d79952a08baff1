"""A crawler in headless Chromium: each of the three roles starts from the hub's home page of a
platform with the demo content and follows every same-origin link of every page it visits; none
may end on an error page or on raw JSON. A screenshot of each page is kept under tests/artifacts/.

Logout, users' servers (no server is started), spawns and downloads (the JSON API's data among
them, linked as "JSON" or "CSV") are not followed; each role
visits at most MAX_PAGES pages, so that the walk stays short on a 2-core machine.
"""

import os
import re
from urllib.parse import urldefrag, urlsplit

import docker
import pytest
from browser import hub_login, launch_chromium, local_only_context
from hubtools import remove_home_volumes, running_hub
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from services.demo import seed_demo
from services.launcher import example_image_ids

pytestmark = [pytest.mark.stack, pytest.mark.browser]

MAX_PAGES = 40
ROLES = ("researcher", "datascientist", "clinician")
# Not followed: leaving, servers, what starts one, and what a browser saves as a file.
SKIPPED = re.compile(
    r"^/hub/(logout|spawn|spawn-pending|user-redirect)|^/user/|/api/v1/|\.(png|csv|zip|tar\.gz|mha)\?|[?&]format=csv|/download"
)


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory):
    """One hub with the demo content for the three roles."""
    data_dir = tmp_path_factory.mktemp("gc-hub-crawl")
    instance = f"gc-hub-crawl{os.getpid()}"
    try:
        with running_hub(data_dir, instance) as hub:
            seed_demo(hub.settings.database_url, hub.settings.data_dir, image_ids=example_image_ids())
            yield hub
    finally:
        remove_home_volumes(instance)
        for container in docker.from_env().containers.list(
            all=True, filters={"label": f"org.gc-hub.instance={instance}"}
        ):
            container.remove(force=True)


def same_origin_links(page, origin):
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    links = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == origin and not SKIPPED.search(parts.path + "?" + parts.query):
            links.append(url)
    return links


def what_is_wrong(response, page):
    """Why the page that ``response`` shows is a dead end, or None."""
    if response is None:
        return "no response"
    if response.status >= 400:
        return f"HTTP {response.status}: {page.inner_text('body')[:300]}"
    media = response.headers.get("content-type", "")
    if "json" in media or page.inner_text("body").lstrip().startswith(("{", "[")):
        return f"raw JSON ({media})"
    return None


def crawl(page, origin, role, artifacts):
    """Visit from the hub's home; the addresses visited, and the pages that end badly, with why."""
    start = f"{origin}/hub/home"
    queue, seen, bad = [start], {start}, {}
    visited = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file to save, not a page
            raise
        page.wait_for_load_state("networkidle")
        visited.append(page.url)
        name = re.sub(r"[^a-z0-9]+", "-", urlsplit(page.url).path.lower()).strip("-") or "root"
        page.screenshot(path=str(artifacts / f"{role}-{len(visited):02d}-{name}.png"), full_page=True)
        if problem := what_is_wrong(response, page):
            bad[url] = problem
            continue
        for link in same_origin_links(page, origin):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return visited, bad


def test_no_link_ends_on_an_error_or_raw_json(demo_hub, artifacts):
    shots = artifacts / "crawl"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for role in ROLES:
            context, blocked = local_only_context(browser)
            page = context.new_page()
            hub_login(page, demo_hub.url, role, demo_hub.passwords["user_password"])
            page.goto(f"{demo_hub.url}/hub/home")
            page.wait_for_selector("#gc-archives li, #gc-archives p:not(.gc-loading)")
            assert "Demo archive" in page.inner_text("#gc-archives")
            page.wait_for_selector("#gc-challenges li")
            assert "Demo challenge" in page.inner_text("#gc-challenges")
            visited, bad = crawl(page, demo_hub.url, role, shots)
            assert bad == {}, f"{role}: {bad}"
            assert len(visited) > 5 and blocked == []
            if role == "researcher":  # the demo reading's editor reaches its cases' pages
                assert any("/reader-studies/demo-reading/cases/" in url for url in visited), visited
            context.close()
        browser.close()
