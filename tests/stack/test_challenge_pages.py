"""Challenges through the service pages in a real browser, behind the hub: a researcher sets one up,
a data scientist joins and submits; a clinician may not create one."""

import subprocess
import uuid

import pytest
from browser import collect_errors, hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright
from test_challenge_flow import otsu, packed_masks, scan

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def html_pages(page, visited):
    """Record the content type of every page ``page`` navigates to: none may be raw JSON."""
    page.on(
        "response",
        lambda r: (
            visited.append((r.url, r.headers.get("content-type", ""))) if r.request.is_navigation_request() else None
        ),
    )


def test_a_phase_set_up_through_the_pages_takes_a_participants_predictions(hub, artifacts, tmp_path):
    """The walk of issue 17: the researcher sets up a phase through the pages alone (the evaluation
    method and the ground truth uploaded from the page), a data scientist joins from the challenge
    page, submits predictions through the phase page and sees the result and the leaderboard."""
    slug = f"lungs-{uuid.uuid4().hex[:6]}"
    challenges = f"{hub.url}/services/challenges/"
    challenge = f"{challenges}challenges/{slug}"
    images = {f"case-{i}": scan(i) for i in range(2)}
    truth = packed_masks(tmp_path, {case: otsu(image) for case, image in images.items()}, "truth.zip")
    (tmp_path / "mine").mkdir()
    predictions = packed_masks(tmp_path / "mine", {case: otsu(image) for case, image in images.items()}, "masks.zip")
    visited = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, blocked = local_only_context(browser)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        html_pages(page, visited)
        errors = collect_errors(page)
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])

        page.goto(challenges)  # OAuth through the hub, back to the page
        page.fill("#slug", slug)
        page.fill("#title", "Lung nodules")
        page.fill("#description", "Segment the nodules.")
        page.click("text=Create challenge")
        page.wait_for_url(challenge)
        assert page.locator("h1").inner_text() == "Lung nodules"

        # a phase with a bad setting: the page says why in words and keeps what was typed
        page.fill("#slug", "masks")
        page.fill("#title", "Masks")
        page.select_option("#submission_kind", "predictions")
        page.select_option("#visibility", "participants")
        page.select_option("#result_display", "best")
        page.fill("#opens_at", "2030-01-31T12:00")
        page.fill("#closes_at", "2030-01-01T12:00")
        page.fill("#score_jsonpath", "aggregates.dice.mean")
        page.fill("#submissions_limit", "2")
        page.check("#auto_publish")
        row = page.locator("#columns-editor tbody tr").last
        row.locator("input[name=column_title]").fill("Volume difference")
        row.locator("input[name=column_path]").fill("aggregates.volume_difference.mean")
        row.locator("select[name=column_order]").select_option("lower")
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            page.click("text=Create phase")
        assert response.value.status == 400
        assert "The closing date must be later than the opening date" in page.locator(".error").inner_text()
        assert page.input_value("#score_jsonpath") == "aggregates.dice.mean"
        page.screenshot(path=str(artifacts / "phase-form-error.png"), full_page=True)
        assert page.locator("#columns-editor input[name=column_path]").first.input_value() == (
            "aggregates.volume_difference.mean"
        )
        page.fill("#opens_at", "")
        page.fill("#closes_at", "2099-01-31T12:00")
        page.click("text=Create phase")
        page.wait_for_url(f"{challenge}/phases/masks")
        assert "Ranked by Dice (higher is better); Volume difference is shown, not ranked." in page.inner_text(
            "#ranking"
        )

        # the evaluation method, uploaded from the page (a `docker save` tarball) with a progress
        # bar, checked by the platform, then the phase's method
        method = tmp_path / "evaluation.tar"
        subprocess.run(["docker", "save", "gc-hub/example-evaluation:latest", "-o", str(method)], check=True)
        assert page.input_value("#method_image") == ""  # none yet
        page.set_input_files("#method-file", str(method))
        page.click("#method-upload button[type=submit]")
        page.locator("#method-upload progress").wait_for(state="visible")
        assert "Uploading evaluation.tar" in page.inner_text("#method-upload .upload-status")
        status = page.locator("#method-upload .upload-status")
        page.wait_for_function("s => s.dataset.status", arg=status.element_handle(), timeout=600_000)
        assert status.get_attribute("data-status") == "done", status.inner_text()
        assert "it is the phase's evaluation method now" in status.inner_text()
        page.screenshot(path=str(artifacts / "phase-page-method-uploaded.png"), full_page=True)
        page.wait_for_function(  # the page reloads by itself
            "() => !document.querySelector('#method-upload .upload-status').dataset.status", timeout=60_000
        )
        page.wait_for_load_state()
        assert page.input_value("#method_image").startswith("sha256:")
        assert "uploaded by researcher" in page.locator("#method_image option:checked").inner_text()

        # the ground truth, uploaded from the page with a progress bar
        page.set_input_files("#ground-truth-file", str(truth))
        page.click("#ground-truth-upload button[type=submit]")
        status = page.locator("#ground-truth-upload .upload-status")
        page.wait_for_function("s => s.dataset.status", arg=status.element_handle(), timeout=120_000)
        assert status.get_attribute("data-status") == "done", status.inner_text()
        page.wait_for_load_state()
        page.screenshot(path=str(artifacts / "phase-page-organiser.png"), full_page=True)

        # the data scientist asks to join on the challenge page itself
        other = browser.new_context(service_workers="block")
        ds = other.new_page()
        html_pages(ds, visited)
        errors_ds = collect_errors(ds)
        hub_login(ds, hub.url, "datascientist", hub.passwords["user_password"])
        ds.goto(challenge)
        assert "How to take part" in ds.inner_text("#take-part")
        ds.click("#take-part >> text=Request to join")
        ds.wait_for_load_state()
        assert "pending" in ds.inner_text("#join-status")

        # the researcher accepts; the participant shows in the list
        page.goto(challenge)
        page.locator("#join-requests tr", has_text="datascientist").locator("text=Accept").click()
        page.wait_for_load_state()
        assert "datascientist" in page.inner_text("#participants")
        page.screenshot(path=str(artifacts / "challenge-page-organiser.png"), full_page=True)

        # the participant reads the phase in words, nothing only admins see, and submits
        ds.goto(challenge)
        ds.click("#phases >> text=Masks")
        ds.wait_for_url(f"{challenge}/phases/masks")
        text = ds.inner_text("main")
        assert "Open now; closes in" in text and "You have 2 submissions left" in text
        assert "Ranked by Dice (higher is better); Volume difference is shown, not ranked." in text
        for hidden in ("score_jsonpath", "extra_results_columns", "example-evaluation", "ground truth folder"):
            assert hidden not in ds.content()
        ds.screenshot(path=str(artifacts / "phase-page-participant.png"), full_page=True)
        ds.set_input_files("#predictions", str(predictions))
        ds.click("#predictions-form button[type=submit]")
        ds.wait_for_url(f"{challenge}/submissions/*", timeout=60_000)
        ds.wait_for_function(
            "() => ['succeeded', 'failed', 'cancelled'].includes(document.getElementById('status').textContent)",
            timeout=300_000,
        )
        assert ds.inner_text("#status") == "succeeded", ds.inner_text("main")
        results = ds.inner_text("#results table.metrics")
        assert "Dice" in results and "Volume difference" in results and "{" not in results
        ds.screenshot(path=str(artifacts / "submission-page-predictions.png"), full_page=True)

        # back to the phase (the link works), then the leaderboard
        ds.click("text=← Masks")
        ds.wait_for_url(f"{challenge}/phases/masks")
        assert "succeeded" in ds.inner_text("#my-submissions") and "1 submission left" in ds.inner_text("#left")
        ds.click("main p a:text-is('leaderboard')")
        ds.wait_for_url(f"**/services/leaderboard/leaderboards/{slug}/masks")
        board = ds.inner_text("#leaderboard")
        assert "datascientist" in board and "Dice" in board
        assert "Ranked by Dice (higher is better)" in ds.inner_text("#ranking")
        ds.screenshot(path=str(artifacts / "leaderboard-page-participant.png"), full_page=True)

        xsrf = next(c["value"] for c in other.cookies() if c["name"] == "_xsrf" and "challenges" in c["path"])
        forbidden = other.request.post(
            f"{challenge}/phases/masks",
            form={"_xsrf": xsrf, "slug": "masks", "title": "Mine now"},
            headers={"X-XSRFToken": xsrf},
        )
        assert forbidden.status == 403 and "Only the admins" in forbidden.text()
        assert blocked == []
        assert [e for e in errors + errors_ds if e.startswith("pageerror")] == []  # the pages' scripts ran
        browser.close()
    raw = [url for url, kind in visited if "json" in kind]
    assert not raw, f"pages that ended on raw JSON: {raw}"


def test_clinician_sees_no_create_form_and_may_not_create(hub):
    clinician = hub.login("clinician")
    page = clinician.get(f"{hub.url}/services/challenges/")
    assert page.status_code == 200
    assert "New challenge" not in page.text and "Request to join" not in page.text
    forged = clinician.post(f"{hub.url}/services/challenges/", data={"slug": "x", "title": "x"})
    assert forged.status_code == 403  # no XSRF token: refused before anything else
