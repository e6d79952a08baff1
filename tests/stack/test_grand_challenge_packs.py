"""Grand-challenge's own challenge packs run here unchanged.

``grand-challenge-forge`` (the tool grand-challenge gives organisers) generates a pack for a phase:
an example algorithm, an example evaluation method and stub cases, all written against
grand-challenge's runtime (sockets at their relative paths, ``inputs.json``, ``predictions.json``
with UUID job ids, the model at ``/opt/ml/model``, the ground truth at
``/opt/ml/input/data/ground_truth``). Each pack is built on the local base (its FROM line changed,
its torch demo lines removed, nothing else) and taken through the real hub as an organiser and a
participant would: sockets, archive upload of the pack's cases, phase, method, tarball ground
truth, algorithm image, model tarball, submission, evaluation, leaderboard row. The containers'
own prints prove that their code ran.
"""

import json
import os
import re
import subprocess
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from browser import hub_login, launch_chromium, local_only_context
from grand_challenge_forge.forge import generate_challenge_pack
from playwright.sync_api import sync_playwright
from test_algorithms_through_hub import Client

pytestmark = pytest.mark.stack

BASE = "gc-hub/pack-base:latest"
# What the pack's files print, as the packs write them (their resources and tarballs).
ALGORITHM_RESOURCE = "# Inside resources/some_resource.txt"
MODEL_RESOURCE = "# Inside a_tarball_subdirectory/some_tarball_resource.txt"
GROUND_TRUTH_TEXT = "some ground truth for each image for your model"

# The packs: one interface of an image in, an image and a value out, with an image and a value
# the evaluation writes besides its metrics; two interfaces, one of them JSON values in, with a
# value the submission gives the evaluation. ``{tag}`` makes slugs unique.
PACKS = {
    "image-in": {
        "new_sockets": {"evaluation-overlay-{tag}": ("image", None), "evaluation-confidence-{tag}": ("float", 0.25)},
        "interfaces": [
            {"inputs": ["ct-image"], "outputs": ["covid-19-lesion-segmentation", "covid-19-probability-score"]}
        ],
        "evaluation_inputs": {},
        "evaluation_outputs": ["evaluation-overlay-{tag}", "evaluation-confidence-{tag}"],
    },
    "two-interfaces": {
        "new_sockets": {
            "patient-age-{tag}": ("integer", 42),
            "clinical-notes-{tag}": ("string", "no findings"),
            "method-summary-{tag}": ("string", "thresholds"),
        },  # fmt: skip
        "interfaces": [
            {"inputs": ["ct-image"], "outputs": ["covid-19-probability-score"]},
            {"inputs": ["patient-age-{tag}", "clinical-notes-{tag}"], "outputs": ["results-json-file"]},
        ],
        "evaluation_inputs": {"method-summary-{tag}": "a threshold on the intensity"},
        "evaluation_outputs": [],
    },
}
EXAMPLE_VALUES = {"covid-19-probability-score": 0.5}


def tagged(value, tag):
    """``value`` (a slug, or lists and dicts of them) with ``{tag}`` filled in."""
    if isinstance(value, str):
        return value.format(tag=tag)
    if isinstance(value, list | tuple):
        return type(value)(tagged(item, tag) for item in value)
    if isinstance(value, dict):
        return {tagged(key, tag): tagged(item, tag) for key, item in value.items()}
    return value


def socket_context(socket, example_value=None):
    """A socket as grand-challenge's pack context gives it, from gc-hub's socket API."""
    context = {key: socket[key] for key in ("slug", "relative_path", "super_kind")} | {"kind": socket["kind_name"]}
    return context | ({"example_value": example_value} if example_value is not None else {})


def generate_pack(folder, context):
    """The pack of ``context`` unpacked into ``folder``; the path of its only phase."""
    pack_zip = folder / "pack.zip"
    with zipfile.ZipFile(pack_zip, "w") as archive:
        generate_challenge_pack(output_zip_file=archive, target_zpath=Path("pack"), context=context)
    with zipfile.ZipFile(pack_zip) as archive:
        archive.extractall(folder)
    return folder / "pack" / context["challenge"]["phases"][0]["slug"]


def on_local_base(project):
    """Point the pack's Dockerfile at the local base and drop the algorithm's torch demo: the only
    changes made to the pack (each is checked to have happened, so a new forge cannot slip by)."""
    dockerfile = project / "Dockerfile"
    text, count = re.subn(r"^FROM --platform=linux/amd64 \S+", f"FROM {BASE}", dockerfile.read_text(), flags=re.M)
    assert count == 1, "the pack's Dockerfile no longer starts FROM a public image"
    dockerfile.write_text(text)
    inference = project / "inference.py"
    if inference.exists():
        code = inference.read_text()
        handlers = code.count("_handler():")  # one per interface, each with the torch demo
        for pattern, times in (
            (r"^import torch\n", 1),
            (
                r"^    # Process the inputs: any way you'd like, here we show-case torch\n"
                r".*?^    output = model\(input\)\n",
                handlers,
            ),
            (r"^def _show_torch_cuda_info\(\):\n.*?(?=^if __name__)", 1),
        ):
            code, count = re.subn(pattern, "", code, flags=re.M | re.S)
            assert count == times, f"the torch demo changed in this forge version: {pattern!r}"
        assert "torch" not in code
        inference.write_text(code)


def build(project, tag, folder):
    """``docker build`` the pack's ``project`` on the local base: a ``docker save`` tarball of it."""
    on_local_base(project)
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(project)],
        check=True,
        env=os.environ | {"DOCKER_BUILDKIT": "0"},
        capture_output=True,
    )
    tarball = folder / f"{tag.replace('/', '-').replace(':', '-')}.tar"
    subprocess.run(["docker", "save", tag, "-o", str(tarball)], check=True)
    subprocess.run(["docker", "rmi", "-f", tag], check=True, capture_output=True)  # the platform loads its own copy
    return tarball


def page(hub, client, challenge, submission_id):
    """The HTML of a submission's page, as ``client`` sees it."""
    url = f"{hub.url}/services/challenges/challenges/{challenge}/submissions/{submission_id}"
    response = requests.get(url, headers=client.headers)
    assert response.status_code == 200, response.text
    return response.text


def thumbnails_drawn(hub, page_url, images, screenshot):
    """Open ``page_url`` as the organiser in Chromium; wait until the thumbnail of each of
    ``images`` is drawn on it, and keep a screenshot of the page."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context, _blocked = local_only_context(browser)
        page = context.new_page()
        hub_login(page, hub.url, "researcher", hub.passwords["user_password"])
        page.goto(page_url)
        for image in images:
            page.wait_for_function(
                "src => [...document.images].some(i => i.src.includes(src) && i.complete && i.naturalWidth > 0)",
                arg=f"images/{image}/thumbnail.png",
                timeout=30_000,
            )
        page.screenshot(path=screenshot, full_page=True)
        browser.close()


def tarred(folder, name):
    """A .tar.gz of ``folder``'s contents, as grand-challenge takes models and ground truth."""
    path = folder.parent / name
    with tarfile.open(path, "w:gz") as archive:
        for member in sorted(folder.rglob("*")):
            archive.add(member, arcname=str(member.relative_to(folder)), recursive=False)
    return path


def hand_over(client, path, endpoint, body=None):
    """Upload ``path`` and hand it to ``endpoint`` (202): what the endpoint answers."""
    session, file = client.upload(path)
    return client("POST", "challenges", endpoint, 202, json={"upload_session": session, "file": file, **(body or {})})


def until_done(client, path):
    """Wait until ``path`` (of the challenges service) has succeeded."""
    done = client.wait("challenges", path)
    assert done["status"] == "succeeded", done
    return done


def upload_cases(researcher, archive, phase_dir, interfaces):
    """The pack's stub cases (``upload-to-archive/interf<i>/case<k>/<relative path>``) as the
    archive's cases: image cases through an import, JSON cases through the items API."""
    stubs = phase_dir / "upload-to-archive"
    for index, interface in enumerate(interfaces):
        for case in sorted((stubs / f"interf{index}").glob("case*")):
            images = sorted(case.rglob("*.mha"))
            if images:
                session = researcher(
                    "POST", "archives", "upload-sessions", 201, json={"archive": archive, "socket": "ct-image"}
                ).json()["id"]
                for image in images:
                    body = {"filename": f"{case.name}-{index}.mha", "size": image.stat().st_size}
                    file = researcher("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()[
                        "id"
                    ]
                    researcher(
                        "PUT", "archives", f"upload-sessions/{session}/files/{file}", 200, data=image.read_bytes()
                    )
                researcher("POST", "archives", f"upload-sessions/{session}/import", 202)
                assert researcher.wait("archives", f"upload-sessions/{session}")["status"] == "succeeded"
            else:
                values = {}
                for slug in interface["inputs"]:
                    socket = researcher("GET", "archives", f"sockets/{slug}", 200).json()
                    values[slug] = json.loads((case / socket["relative_path"]).read_text())
                researcher("POST", "archives", f"archives/{archive}/items", 201, json={"values": values})


@pytest.mark.browser  # the organiser's page of an evaluation's outputs
@pytest.mark.parametrize("pack", PACKS)
def test_a_grand_challenge_pack_runs_unchanged(hub, tmp_path, pack, artifacts):
    tag = uuid.uuid4().hex[:6]
    spec = tagged(PACKS[pack], tag)
    researcher, participant = Client(hub, "researcher"), Client(hub, "datascientist")
    challenge, archive, algorithm = f"forge-{tag}", f"forge-cases-{tag}", f"forge-algorithm-{tag}"

    # The organiser: sockets (grand-challenge's own, and new ones), the pack, its cases.
    examples = dict(EXAMPLE_VALUES)
    for slug, (kind, example) in spec["new_sockets"].items():
        researcher("POST", "archives", "sockets", 201, json={"slug": slug, "title": slug, "kind": kind})
        examples[slug] = example
    used = {slug for i in spec["interfaces"] for side in i.values() for slug in side}
    used |= set(spec["evaluation_inputs"]) | set(spec["evaluation_outputs"])
    sockets = {slug: researcher("GET", "archives", f"sockets/{slug}", 200).json() for slug in used | {"ct-image"}}
    assert sockets["ct-image"]["relative_path"] == "images/ct" and sockets["ct-image"]["kind_name"] == "Image"
    phase_context = {
        "slug": "final",
        "archive": {"slug": archive, "url": "-"},
        "algorithm_interfaces": [
            {
                side: [socket_context(sockets[s], examples.get(s)) for s in interface[side]]
                for side in ("inputs", "outputs")
            }
            for interface in spec["interfaces"]
        ],
        "evaluation_additional_inputs": [socket_context(sockets[s], examples[s]) for s in spec["evaluation_inputs"]],
        "evaluation_additional_outputs": [socket_context(sockets[s], examples[s]) for s in spec["evaluation_outputs"]],
    }
    context = {
        "challenge": {"slug": challenge, "url": "-", "archives": [phase_context["archive"]], "phases": [phase_context]}
    }
    phase_dir = generate_pack(tmp_path, context)
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": archive})
    upload_cases(researcher, archive, phase_dir, spec["interfaces"])
    cases = researcher("GET", "archives", f"archives/{archive}/items", 200).json()["count"]
    assert cases == 3 * len(spec["interfaces"])

    researcher("POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Forge"})
    phase = {"slug": "final", "title": "Final", "visibility": "participants", "submission_kind": "algorithm",
             "archive": archive, "algorithm_interfaces": spec["interfaces"], "score_jsonpath": "aggregates.my_metric",
             "evaluation_additional_inputs": list(spec["evaluation_inputs"]),
             "evaluation_additional_outputs": spec["evaluation_outputs"], "cpu_limit": 1, "memory_limit_mb": 1024,
             "time_limit_s": 300, "algorithm_concurrency": 3}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{challenge}/phases", 201, json=phase)
    phase_path = f"challenges/{challenge}/phases/final"
    method = build(phase_dir / "example-evaluation-method", f"gc-hub-test/forge-evaluation-{tag}", tmp_path)
    intake = hand_over(researcher, method, f"{phase_path}/method").json()
    until_done(researcher, f"container-images/{intake['id']}")
    truth = tarred(phase_dir / "example-evaluation-method" / "ground_truth", "ground-truth.tar.gz")
    taken = hand_over(researcher, truth, f"{phase_path}/ground-truth").json()
    assert (
        researcher.wait("archives", f"upload-sessions/{taken['upload_session']}/files/{taken['file']}")["status"]
        == "succeeded"
    )

    # The participant: joins, makes the algorithm with the phase's interfaces, its image and model.
    request = participant("POST", "challenges", f"challenges/{challenge}/join", 201, json={"message": "hi"}).json()
    researcher(
        "POST", "challenges", f"challenges/{challenge}/join-requests/{request['id']}", 200, json={"decision": "accept"}
    )
    participant("POST", "challenges", "algorithms", 201, json={"slug": algorithm, "title": "Forge example",
                                                              "interfaces": spec["interfaces"]})  # fmt: skip
    image = build(phase_dir / "example-algorithm", f"gc-hub-test/forge-algorithm-{tag}", tmp_path)
    intake = hand_over(participant, image, f"algorithms/{algorithm}/image").json()
    until_done(participant, f"container-images/{intake['id']}")
    model = tarred(phase_dir / "example-algorithm" / "model", "model.tar.gz")
    made = hand_over(participant, model, f"algorithms/{algorithm}/models", {"comment": "the pack's"}).json()
    assert until_done(participant, f"algorithms/{algorithm}/models/{made['id']}")["is_active"]

    body = {"algorithm": algorithm} | (
        {"evaluation_inputs": spec["evaluation_inputs"]} if spec["evaluation_inputs"] else {}
    )
    submission = participant("POST", "challenges", f"{phase_path}/submissions", 201, json=body).json()
    done = participant.wait(
        "challenges",
        f"{phase_path}/submissions/{submission['id']}",
        until=lambda s: s["status"] in ("succeeded", "failed", "cancelled"),
    )
    admin_view = researcher("GET", "challenges", f"{phase_path}/submissions/{submission['id']}", 200).json()
    assert done["status"] == "succeeded", admin_view
    assert done["cases"] == {"total": cases, "done": cases}

    # The algorithm's own code ran: its resource in the image, its model's file at /opt/ml/model.
    for job in admin_view["jobs"]:
        assert ALGORITHM_RESOURCE in job["stdout_tail"] and MODEL_RESOURCE in job["stdout_tail"], job
    # The evaluation's own code ran: it read predictions.json, every job's outputs, the ground truth.
    evaluation = admin_view["evaluations"][0]
    assert "PROCESSING REPORT" in evaluation["stdout_tail"] and GROUND_TRUTH_TEXT in evaluation["stdout_tail"]
    assert f"Succeeded ({cases}/{cases})" in evaluation["stdout_tail"]
    for job in admin_view["jobs"]:
        assert job["pk"] in evaluation["stdout_tail"]  # its UUID, as predictions.json named it
    assert len(evaluation["metrics"]["results"]) == cases
    assert evaluation["metrics"]["aggregates"]["my_metric"] in [i / cases for i in range(cases + 1)]

    # What it wrote besides its metrics: for the organiser only.
    submission_path = f"{phase_path}/submissions/{submission['id']}"
    outputs = evaluation["outputs"]
    assert set(outputs) == set(spec["evaluation_outputs"]), outputs
    images = [value["image"] for value in outputs.values() if isinstance(value, dict)]
    assert len(images) == sum(spec["new_sockets"][slug][0] == "image" for slug in outputs)
    assert all(outputs[slug] == examples[slug] for slug in outputs if examples[slug] is not None), outputs
    organiser_page = page(hub, researcher, challenge, submission["id"])
    for image in images:
        researcher("GET", "challenges", f"images/{image}/thumbnail.png", 200)
        assert f"api/v1/images/{image}/thumbnail.png" in organiser_page
        assert f"/services/archives/api/v1/images/{image}/file" in organiser_page
    assert all(slug in organiser_page for slug in outputs)
    if images:
        page_url = f"{hub.url}/services/challenges/challenges/{challenge}/submissions/{submission['id']}"
        thumbnails_drawn(hub, page_url, images, artifacts / f"evaluation-outputs-{pack}.png")
    assert all(str(examples[slug]) in organiser_page for slug in outputs if examples[slug] is not None)
    # The participant sees none of it, not even its sockets' names.
    seen = [
        participant("GET", "challenges", submission_path, 200).text,
        participant("GET", "challenges", phase_path, 200).text,
        page(hub, participant, challenge, submission["id"]),
    ]
    for slug in outputs:
        assert not any(slug in text for text in seen), slug
    for image in images:
        participant("GET", "challenges", f"images/{image}/thumbnail.png", 404)
        participant("GET", "archives", f"images/{image}/file", 404)
    assert "outputs" not in participant("GET", "challenges", submission_path, 200).json()["evaluations"][0]

    # Its leaderboard row.
    board = researcher("GET", "leaderboard", f"leaderboards/{challenge}/final", 200).json()
    rows = [row for row in board["results"] if row["submission"] == submission["id"]]
    assert rows and rows[0]["score"] == evaluation["metrics"]["aggregates"]["my_metric"], board
