"""A researcher uploads images on the archive page in a real browser, behind the hub; the real
worker imports them and the page shows each file's result."""

import uuid

import pytest
import requests
from browser import hub_login, launch_chromium, local_only_context
from import_samples import volume, write
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_researcher_uploads_images_on_the_archive_page(hub, artifacts, tmp_path):
    slug = f"uploads-{uuid.uuid4().hex[:6]}"
    socket = f"scan-{uuid.uuid4().hex[:6]}"
    api = f"{hub.url}/services/archives/api/v1"
    token = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    assert requests.post(f"{api}/archives", json={"slug": slug, "title": "Uploads"}, headers=token).status_code == 201
    r = requests.post(f"{api}/sockets", json={"slug": socket, "title": "Scan", "kind": "image"}, headers=token)
    assert r.status_code == 201, r.text
    good = write(volume((48, 40, 30)), tmp_path / "brain.nii.gz")
    bad = tmp_path / "readme.txt"
    bad.write_text("not an image")

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        page.goto(f"{hub.url}/services/archives/archives/{slug}")
        assert "Upload images" in page.inner_text("#uploads")
        page.select_option("#upload-socket", socket)
        page.set_input_files("#upload-files", [str(good), str(bad)])
        page.click("text=Upload and import")
        page.wait_for_selector("#upload-status[data-status]", timeout=120_000)
        status = page.inner_text("#upload-status")
        assert "succeeded: 1 image(s) imported" in status and "1 of 2 files could not be imported" in status, status
        rows = page.locator("#upload-files-table tbody tr")
        table = {rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).inner_text() for i in range(rows.count())}
        assert "succeeded: image" in table["brain.nii.gz"] and "48×40×30" in table["brain.nii.gz"]
        assert "100%" in table["brain.nii.gz"]
        assert "failed: readme.txt is not an image file" in table["readme.txt"]
        page.screenshot(path=str(artifacts / "upload-page.png"), full_page=True)

        page.reload()
        assert "Cases (1)" in page.inner_text("main")
        assert "Session" in page.inner_text("details.upload-session") and "readme.txt" in page.inner_text("#uploads")
        assert blocked == []
        browser.close()
