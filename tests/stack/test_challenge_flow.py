"""A challenge end to end through the real hub, services, worker and Docker: a researcher sets it
up with the example images through the API (ground truth as zips and, for the final phase, as a
tarball), two data scientists submit predictions and an algorithm, limits and the sanity-check
gate hold, and nobody sees what they should not."""

import subprocess
import tarfile
import uuid
import zipfile

import pytest
import SimpleITK as sitk
from browser import hub_login, launch_chromium, local_only_context
from playwright.sync_api import sync_playwright
from runtools import wait_for
from test_algorithms_through_hub import Client

from services.web.submissions import EVALUATION_FAILURE

pytestmark = pytest.mark.stack

ALGORITHM_IMAGE = "gc-hub/example-algorithm:latest"
EVALUATION_IMAGE = "gc-hub/example-evaluation:latest"  # built by the platform: usable by reference


def scan(seed):
    """A 32×32×16 int16 volume with a bright blob whose place depends on ``seed``."""
    blob = sitk.GaussianSource(
        sitk.sitkFloat32, size=[32, 32, 16], sigma=[4, 5, 3], mean=[10 + seed * 4, 16, 8], scale=900
    )
    return sitk.Cast(blob, sitk.sitkInt16) + 30


def otsu(image):
    """The mask the example algorithm makes of ``image``."""
    otsu = sitk.OtsuThresholdImageFilter()
    otsu.SetInsideValue(0)
    otsu.SetOutsideValue(1)
    labels = sitk.Cast(otsu.Execute(image), sitk.sitkUInt8)
    labels.CopyInformation(image)
    return labels


def packed_masks(folder, masks, name):
    """A zip (a tarball if ``name`` ends in .tar.gz) of ``{case: mask}`` as ``<case>.mha`` files."""
    path = folder / name
    for case, mask in masks.items():
        sitk.WriteImage(mask, str(folder / f"{case}.mha"), True)
    if name.endswith(".tar.gz"):
        with tarfile.open(path, "w:gz") as archive:
            for case in masks:
                archive.add(folder / f"{case}.mha", f"{case}.mha")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            for case in masks:
                archive.write(folder / f"{case}.mha", f"{case}.mha")
    return path


def upload_cases(researcher, archive, cases, folder):
    """Upload ``{case: image}`` into ``archive`` (as cases of socket ct-image) and import them."""
    session = researcher(
        "POST", "archives", "upload-sessions", 201, json={"archive": archive, "socket": "ct-image"}
    ).json()["id"]
    for case, image in cases.items():
        path = folder / f"{case}.mha"
        sitk.WriteImage(image, str(path), True)
        body = {"filename": path.name, "size": path.stat().st_size}
        file = researcher("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()["id"]
        researcher("PUT", "archives", f"upload-sessions/{session}/files/{file}", 200, data=path.read_bytes())
    researcher("POST", "archives", f"upload-sessions/{session}/import", 202)
    assert researcher.wait("archives", f"upload-sessions/{session}")["status"] == "succeeded"


@pytest.fixture(scope="module")
def world(hub, tmp_path_factory):
    """The challenge, its phases and people: a dict of clients and slugs."""
    folder = tmp_path_factory.mktemp("challenge")
    researcher, alice, bob = Client(hub, "researcher"), Client(hub, "datascientist"), Client(hub, "datascientist2")
    tag = uuid.uuid4().hex[:6]
    challenge, sanity, hidden = f"spheres-{tag}", f"sanity-{tag}", f"hidden-{tag}"
    for slug, kind, path in [("ct-image", "image", "images/image"), ("segmentation", "segmentation", None),
                             ("foreground-fraction", "float", None)]:  # fmt: skip
        body = {"slug": slug, "title": slug, "kind": kind, **({"relative_path": path} if path else {})}
        assert researcher("POST", "archives", "sockets", json=body).status_code in (201, 409)
    cases = {
        "sanity": {f"sanity-{i}": scan(i) for i in range(2)},
        "final": {f"final-{i}": scan(i + 2) for i in range(3)},
    }
    for archive, which in [(sanity, "sanity"), (hidden, "final")]:
        researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": archive})
        upload_cases(researcher, archive, cases[which], folder)
    for participant in ("datascientist", "datascientist2"):  # the sanity-check cases are public to them
        researcher(
            "POST", "archives", f"archives/{sanity}/members", 201, json={"username": participant, "role": "user"}
        )

    researcher("POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Spheres"})
    common = {"visibility": "participants", "method_image": EVALUATION_IMAGE, "cpu_limit": 1, "memory_limit_mb": 1024,
              "time_limit_s": 300}  # fmt: skip
    algorithm_phase = {**common, "submission_kind": "algorithm", "algorithm_inputs": ["ct-image"],
                       "algorithm_outputs": ["segmentation"]}  # fmt: skip
    phases = [
        {**algorithm_phase, "slug": "sanity-check", "title": "Sanity check", "archive": sanity},
        {**algorithm_phase, "slug": "final", "title": "Final", "archive": hidden, "parent": "sanity-check",
         "submissions_limit": 1},
        {**common, "slug": "predictions", "title": "Predictions", "submissions_limit": 2, "submissions_period_days": 1},
    ]  # fmt: skip
    for phase in phases:
        r = researcher("POST", "challenges", f"challenges/{challenge}/phases", json=phase)
        assert r.status_code == 201, r.text
    truth = {"sanity-check": cases["sanity"], "final": cases["final"], "predictions": cases["final"]}
    for phase, images in truth.items():
        packing = "tar.gz" if phase == "final" else "zip"  # the final phase's arrives as a tarball
        masks = packed_masks(folder, {case: otsu(image) for case, image in images.items()}, f"truth-{phase}.{packing}")
        session, file = researcher.upload(masks)
        body = {"upload_session": session, "file": file}
        researcher("POST", "challenges", f"challenges/{challenge}/phases/{phase}/ground-truth", 202, json=body)
        assert researcher.wait("archives", f"upload-sessions/{session}/files/{file}")["status"] == "succeeded"

    for participant in (alice, bob):
        request = participant("POST", "challenges", f"challenges/{challenge}/join", 201, json={"message": "hi"}).json()
        researcher(
            "POST",
            "challenges",
            f"challenges/{challenge}/join-requests/{request['id']}",
            200,
            json={"decision": "accept"},
        )
    return {"researcher": researcher, "alice": alice, "bob": bob, "challenge": challenge, "cases": cases,
            "folder": folder, "hidden": hidden}  # fmt: skip


def submit(client, world, phase, expect=201, **body):
    return client(
        "POST", "challenges", f"challenges/{world['challenge']}/phases/{phase}/submissions", expect, json=body
    )


def finished(client, world, phase, submission):
    path = f"challenges/{world['challenge']}/phases/{phase}/submissions/{submission['id']}"
    return client.wait("challenges", path, until=lambda body: body["status"] in ("succeeded", "failed", "cancelled"))


def test_an_algorithm_passes_the_sanity_check_then_the_final_phase(world, tmp_path):
    alice, bob = world["alice"], world["bob"]
    alice("POST", "challenges", "algorithms", 201, json={"slug": f"otsu-{world['challenge']}", "title": "Otsu",
          "inputs": ["ct-image"], "outputs": ["segmentation", "foreground-fraction"]})  # fmt: skip
    algorithm = f"otsu-{world['challenge']}"
    subprocess.run(["docker", "save", ALGORITHM_IMAGE, "-o", str(tmp_path / "otsu.tar")], check=True)
    session, file = alice.upload(tmp_path / "otsu.tar")
    intake = alice(
        "POST", "challenges", f"algorithms/{algorithm}/image", 202, json={"upload_session": session, "file": file}
    )
    assert alice.wait("challenges", f"container-images/{intake.json()['id']}")["status"] == "succeeded"

    gate = submit(alice, world, "final", expect=409, algorithm=algorithm)
    assert "passed 'sanity-check' first" in gate.json()["message"]

    sanity = finished(alice, world, "sanity-check", submit(alice, world, "sanity-check", algorithm=algorithm).json())
    assert sanity["status"] == "succeeded", sanity
    assert sanity["cases"] == {"total": 2, "done": 2}
    assert all("stderr_tail" in job for job in sanity["jobs"]), "logs of public cases are shown"
    assert sanity["evaluations"][0]["metrics"]["aggregates"]["dice"]["mean"] > 0.99

    final = finished(alice, world, "final", submit(alice, world, "final", algorithm=algorithm).json())
    assert final["status"] == "succeeded", final
    assert final["cases"] == {"total": 3, "done": 3}
    assert all("stderr_tail" not in job for job in final["jobs"]), "no logs of hidden cases"
    evaluation = final["evaluations"][0]
    assert evaluation["metrics"]["aggregates"]["score"] > 0.99
    assert evaluation["algorithm_digest"].startswith("sha256:") and evaluation["evaluated_with"].startswith("sha256:")
    assert "method_digest" not in evaluation and "ground_truth_version" not in evaluation  # the admins' to see
    admin_view = world["researcher"](
        "GET", "challenges", f"challenges/{world['challenge']}/phases/final/submissions/{final['id']}", 200
    )
    assert admin_view.json()["evaluations"][0]["ground_truth_version"].startswith("sha256:")

    limit = submit(alice, world, "final", expect=409, algorithm=algorithm)
    assert "used your 1 submission(s) in this phase" in limit.json()["message"]
    # Bob cannot submit Alice's algorithm, nor see her submission.
    assert submit(bob, world, "sanity-check", expect=404, algorithm=algorithm).status_code == 404
    path = f"challenges/{world['challenge']}/phases/final/submissions/{final['id']}"
    assert bob("GET", "challenges", path).status_code == 404


def test_predictions_are_evaluated_and_limited(world):
    alice, bob, folder, cases = world["alice"], world["bob"], world["folder"], world["cases"]["final"]
    perfect = {case: otsu(image) for case, image in cases.items()}
    half = dict(perfect)
    half.pop("final-0")  # a missing case scores 0
    results = {}
    for name, client, masks in [("alice", alice, perfect), ("bob", bob, half)]:
        session, file = client.upload(packed_masks(folder, masks, f"{name}.zip"))
        submission = submit(client, world, "predictions", upload_session=session, file=file).json()
        results[name] = finished(client, world, "predictions", submission)
    assert results["alice"]["evaluations"][0]["metrics"]["aggregates"]["score"] > 0.99
    assert results["bob"]["evaluations"][0]["metrics"]["aggregates"]["missing"] == ["final-0"]

    # A broken predictions file fails the evaluation, and does not count. Why is in the evaluation's
    # logs, which its admins read: Bob is told whom to ask.
    session, file = bob.upload(packed_masks(folder, {}, "empty.zip"))
    broken = finished(
        bob, world, "predictions", submit(bob, world, "predictions", upload_session=session, file=file).json()
    )
    assert broken["status"] == "failed" and broken["evaluations"][0]["error_message"] == EVALUATION_FAILURE
    path = f"challenges/{world['challenge']}/phases/predictions/submissions/{broken['id']}"
    [evaluation] = world["researcher"]("GET", "challenges", path, 200).json()["evaluations"]
    assert "exited with code 1" in evaluation["error_message"] and "holds no predictions" in evaluation["stderr_tail"]
    session, file = bob.upload(packed_masks(folder, perfect, "bob-again.zip"))
    submit(bob, world, "predictions", upload_session=session, file=file)
    session, file = bob.upload(packed_masks(folder, perfect, "bob-third.zip"))
    limit = submit(bob, world, "predictions", expect=409, upload_session=session, file=file)
    assert "used your 2 submission(s) in 1 day(s)" in limit.json()["message"]

    # The leaderboard ranks what was evaluated: alice's and bob's second (perfect) files share
    # rank 1, bob's file with a missing case comes third; the failed one is not there.
    board = f"leaderboards/{world['challenge']}/predictions"
    assert wait_for(lambda: len(alice("GET", "leaderboard", board, 200).json()["results"]) == 3, timeout=120)
    ranks = [(e["rank"], e["user"]) for e in alice("GET", "leaderboard", board, 200).json()["results"]]
    assert ranks[2] == (3, "datascientist2") and sorted(ranks[:2]) == [(1, "datascientist"), (1, "datascientist2")]
    best = world["researcher"]("GET", "leaderboard", f"{board}?display=best", 200).json()["results"]
    assert [(e["rank"], e["user"]) for e in best] in ([(1, "datascientist"), (1, "datascientist2")],
                                                      [(1, "datascientist2"), (1, "datascientist")])  # fmt: skip


def test_participants_never_reach_hidden_cases_or_ground_truth(world):
    bob, challenge = world["bob"], world["challenge"]
    phase = bob("GET", "challenges", f"challenges/{challenge}/phases/final", 200).json()
    for hidden in ("archive", "ground_truth_path", "ground_truth_version", "method_image"):
        assert hidden not in phase
    assert bob("GET", "archives", f"archives/{world['hidden']}/items").status_code == 404
    assert bob("GET", "archives", f"archives/{world['hidden']}").status_code == 404
    others = bob(
        "GET", "challenges", f"challenges/{challenge}/phases/final/submissions?creator=datascientist", 200
    ).json()
    assert all(s["creator"] == "datascientist2" for s in others["results"])
    assert (
        bob(
            "POST",
            "challenges",
            f"challenges/{challenge}/phases/final/ground-truth",
            json={"upload_session": 1, "file": 1},
        ).status_code
        == 403
    )


@pytest.mark.browser
def test_submissions_on_the_pages(world, hub, artifacts):
    """Alice follows her submission on the pages; the researcher evaluates it again there."""
    challenge = world["challenge"]
    pages = f"{hub.url}/services/challenges/challenges/{challenge}"
    mine = world["alice"]("GET", "challenges", f"challenges/{challenge}/phases/sanity-check/submissions", 200).json()
    submission = mine["results"][0]["id"]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, _blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "datascientist", hub.passwords["user_password"])
        page.goto(f"{pages}/phases/sanity-check")
        assert "Submit the algorithm" in page.inner_text("#submit")
        page.click(f"#my-submissions a[href$='/submissions/{submission}']")
        page.wait_for_url(f"**/challenges/{challenge}/submissions/{submission}")
        text = page.inner_text("main")
        assert "succeeded" in text and "Cases: 2 of 2 done" in text and "Evaluate again" not in text
        page.screenshot(path=str(artifacts / "submission-page-participant.png"), full_page=True)
        context.close()

        context, _blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        page.goto(f"{pages}/submissions/{submission}")
        with page.expect_navigation():  # the form posts to this very page, then comes back to it
            page.click("text=Evaluate again")
        assert page.locator("h3").count() == 2  # the second evaluation is listed
        browser.close()


def test_jobs_of_a_submission_stay_out_of_the_algorithms_api(world):
    """The submitter sees a submission's jobs only through the submissions API, which hides
    what ran on hidden cases; the algorithms API does not list them or show them."""
    alice, challenge = world["alice"], world["challenge"]
    final = alice("GET", "challenges", f"challenges/{challenge}/phases/final/submissions", 200).json()["results"][0]
    detail = alice("GET", "challenges", f"challenges/{challenge}/phases/final/submissions/{final['id']}", 200).json()
    assert detail["jobs"]
    for job in detail["jobs"]:
        assert alice("GET", "challenges", f"algorithm-jobs/{job['id']}").status_code == 404
    listed = alice("GET", "challenges", "algorithm-jobs", 200).json()["results"]
    assert not {job["id"] for job in detail["jobs"]} & {job["id"] for job in listed}
