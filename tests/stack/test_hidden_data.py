"""Hidden cases through the real hub, services, workers and Docker: a participant's algorithm
copies a hidden case into its output image and writes what it read into invalid outputs. The
participant cannot download that image, cannot give it to a job of their own, cannot read the
job's logs, and the messages about the failed case say which socket was wrong and how, never what
it held. The challenge's admins see everything."""

import subprocess
import uuid

import docker
import pytest
import requests
import SimpleITK as sitk
from runtools import script_image
from test_algorithms_through_hub import Client

from services.web.submissions import HIDDEN_CASE_FAILURE

pytestmark = pytest.mark.stack

SECRET = f"HIDDEN-{uuid.uuid4().hex[:12]}"
EVALUATION_IMAGE = "gc-hub/example-evaluation:latest"
SOCKETS = [("hidden-scan", "image", "images/hidden-scan"), ("hidden-mask", "segmentation", None),
           ("hidden-score", "integer", None), ("hidden-notes", "any", None)]  # fmt: skip

# Succeeds on the first case (the canary), with the hidden scan copied into its output image; on
# the other case it writes the secret and the scan's first bytes into outputs that do not fit.
LEAKER = f"""
import glob, json, os, shutil
[scan] = glob.glob('/input/images/hidden-scan/*.mha')
os.makedirs('/output/images/hidden-mask')
shutil.copyfile(scan, '/output/images/hidden-mask/copy.mha')
leak = '{SECRET} ' + os.path.basename(scan) + ' ' + open(scan, 'rb').read(60).decode('latin-1')
print('stdout:', leak, flush=True)
if 'case-a' in scan:
    json.dump(1, open('/output/hidden-score.json', 'w'))
    json.dump({{}}, open('/output/hidden-notes.json', 'w'))
else:
    json.dump(leak, open('/output/hidden-score.json', 'w'))
    open('/output/hidden-notes.json', 'w').write('{{"' + leak)
"""


def upload_image(client, folder, name, archive=None, socket="hidden-scan"):
    """Upload and import one small scan (into ``archive`` as a case of ``socket``, or as the
    client's own image): its image id."""
    path = folder / name
    sitk.WriteImage(sitk.Image([8, 8, 4], sitk.sitkInt16) + 7, str(path), True)
    target = {"archive": archive, "socket": socket} if archive else {}
    session = client("POST", "archives", "upload-sessions", 201, json=target).json()["id"]
    body = {"filename": name, "size": path.stat().st_size}
    file = client("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()["id"]
    client("PUT", "archives", f"upload-sessions/{session}/files/{file}", 200, data=path.read_bytes())
    client("POST", "archives", f"upload-sessions/{session}/import", 202)
    imported = client.wait("archives", f"upload-sessions/{session}")
    assert imported["status"] == "succeeded", imported
    return imported["images"][0]


@pytest.fixture(scope="module")
def world(hub, tmp_path_factory):
    """A challenge whose phase runs algorithms on a hidden archive of two cases, and a submission
    of the leaking algorithm by a participant, run to its end."""
    folder = tmp_path_factory.mktemp("hidden")
    researcher, participant, admin = Client(hub, "researcher"), Client(hub, "datascientist"), Client(hub, "admin")
    tag = uuid.uuid4().hex[:6]
    challenge, archive, algorithm = f"hidden-{tag}", f"hidden-cases-{tag}", f"leaker-{tag}"
    for slug, kind, path in SOCKETS:
        body = {"slug": slug, "title": slug, "kind": kind, **({"relative_path": path} if path else {})}
        assert researcher("POST", "archives", "sockets", json=body).status_code in (201, 409)
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": archive})
    for case in ("case-a", "case-b"):  # one session each: case-a is the first case, the canary
        upload_image(researcher, folder, f"{case}.mha", archive)
    researcher("POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Hidden"})
    phase = {"slug": "final", "title": "Final", "visibility": "participants", "submission_kind": "algorithm",
             "archive": archive, "method_image": EVALUATION_IMAGE, "algorithm_inputs": ["hidden-scan"],
             "algorithm_outputs": ["hidden-mask", "hidden-score", "hidden-notes"], "cpu_limit": 1,
             "memory_limit_mb": 512, "time_limit_s": 120}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{challenge}/phases", 201, json=phase)
    request = participant("POST", "challenges", f"challenges/{challenge}/join", 201, json={"message": "hi"}).json()
    decision = f"challenges/{challenge}/join-requests/{request['id']}"
    researcher("POST", "challenges", decision, 200, json={"decision": "accept"})

    body = {"slug": algorithm, "title": "Leaker", "inputs": ["hidden-scan"], "outputs": [s for s, _, _ in SOCKETS[1:]],
            "cpu_limit": 1, "memory_limit_mb": 512, "time_limit_s": 120}  # fmt: skip
    participant("POST", "challenges", "algorithms", 201, json=body)
    image = script_image(docker.from_env(), f"hidden-leaker-{tag}", LEAKER)
    subprocess.run(["docker", "save", image, "-o", str(folder / "leaker.tar")], check=True)
    session, file = participant.upload(folder / "leaker.tar")
    body = {"upload_session": session, "file": file}
    intake = participant("POST", "challenges", f"algorithms/{algorithm}/image", 202, json=body)
    assert participant.wait("challenges", f"container-images/{intake.json()['id']}")["status"] == "succeeded"
    subprocess.run(["docker", "rmi", image], check=False, capture_output=True)

    submitted = participant("POST", "challenges", f"challenges/{challenge}/phases/final/submissions", 201,
                            json={"algorithm": algorithm}).json()  # fmt: skip
    path = f"challenges/{challenge}/phases/final/submissions/{submitted['id']}"
    participant.wait("challenges", path, until=lambda body: body["status"] in ("succeeded", "failed", "cancelled"))
    return {"researcher": researcher, "participant": participant, "admin": admin, "challenge": challenge,
            "algorithm": algorithm, "submission": path, "submission_id": submitted["id"], "folder": folder,
            "hub": hub}  # fmt: skip


def jobs_by_outcome(world, who="participant"):
    jobs = world[who]("GET", "challenges", world["submission"], 200).json()["jobs"]
    return {job["status"]: job for job in jobs}


def test_messages_about_a_hidden_case_say_what_was_wrong_not_what_it_held(world):
    view = world["participant"]("GET", "challenges", world["submission"], 200)
    jobs = jobs_by_outcome(world)
    assert set(jobs) == {"succeeded", "failed"}, view.text
    # How a hidden case failed is the participant's code's choice (an exit code, which socket, a
    # time-out): each would carry bits of the case out, so the participant learns only which stage
    # failed, and whom to ask or how to see logs of their own.
    assert jobs["failed"]["error_message"] == HIDDEN_CASE_FAILURE.format(status="failed")
    assert "stderr_tail" not in jobs["failed"] and "stdout_tail" not in jobs["failed"], "no logs of hidden cases"
    assert SECRET not in view.text and "case-b" not in view.text and "ObjectType" not in view.text
    hub, token = world["hub"], world["participant"].headers
    page = f"{hub.url}/services/challenges/challenges/{world['challenge']}/submissions/{world['submission_id']}"
    page = requests.get(page, headers=token)
    assert page.status_code == 200 and "the algorithm failed on a hidden case" in page.text and SECRET not in page.text
    # The admins see which socket was wrong and how, still without what it held.
    message = jobs_by_outcome(world, "researcher")["failed"]["error_message"]
    assert "output 'hidden-score': /output/hidden-score.json does not fit the socket's schema" in message
    assert 'schema at /: "type": "integer"' in message
    assert "output 'hidden-notes': /output/hidden-notes.json is not valid JSON" in message
    assert SECRET not in message


def test_the_challenges_admins_see_everything(world):
    jobs = jobs_by_outcome(world, "researcher")
    assert SECRET in jobs["failed"]["stdout_tail"] and SECRET in jobs["succeeded"]["stdout_tail"]
    output = hidden_output_image(world)
    assert world["researcher"]("GET", "archives", f"images/{output}/file").status_code == 200


def hidden_output_image(world):
    """The id of the image the canary job made: a copy of a hidden case (read as a hub admin)."""
    job = world["admin"]("GET", "challenges", f"algorithm-jobs/{jobs_by_outcome(world)['succeeded']['id']}", 200).json()
    return job["outputs"]["hidden-mask"]["image"]


def test_a_participant_cannot_download_a_hidden_jobs_output(world):
    participant, output = world["participant"], hidden_output_image(world)
    assert participant("GET", "archives", f"images/{output}/file").status_code == 404
    job = jobs_by_outcome(world)["succeeded"]["id"]
    assert participant("GET", "challenges", f"algorithm-jobs/{job}").status_code == 404
    training = participant("GET", "challenges", f"challenges/{world['challenge']}/phases/final/training-data")
    assert training.status_code == 404


def test_a_participant_cannot_give_a_hidden_jobs_output_to_a_job_of_their_own(world):
    participant, output = world["participant"], hidden_output_image(world)
    jobs = f"algorithms/{world['algorithm']}/jobs"
    refused = participant("POST", "challenges", jobs, 422, json={"inputs": {"hidden-scan": {"image": output}}})
    assert "of an image you uploaded or may read" in refused.json()["message"]
    mine = upload_image(participant, world["folder"], "mine.mha")  # their own image is fine
    job = participant("POST", "challenges", jobs, 201, json={"inputs": {"hidden-scan": {"image": mine}}}).json()
    participant("POST", "challenges", f"algorithm-jobs/{job['id']}/cancel", 200)
