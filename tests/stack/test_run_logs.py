"""Who reads which logs, through the real hub, services, worker and Docker: a participant's
algorithm succeeds on one case they may read and fails on another; the evaluation then reads the
ground truth, prints it and fails. The challenge's admins read every log (API, the submission
page, ``%gc_status``); the participant reads their jobs' logs, and of the evaluation only that it
failed and whom to ask. One who has not joined the challenge and submits is told how to join."""

import subprocess
import uuid
import zipfile

import docker
import pytest
import requests
from runtools import script_image
from test_algorithms_through_hub import Client
from test_hidden_data import upload_image

from gc_extension import errors, rendering
from gc_extension.client import Client as NotebookClient
from services.runner import LOG_TAIL_LINES
from services.web.submissions import EVALUATION_FAILURE

pytestmark = pytest.mark.stack

SECRET = f"TRUTH-{uuid.uuid4().hex[:12]}"  # the ground truth's words: only the admins may read them
LOUD_LINES = LOG_TAIL_LINES + 300  # the evaluation prints more than the platform keeps
# One image plays both parts: the algorithm (writes its value; fails on a case named "bad") and,
# where /input/predictions.json is, the evaluation method (prints the ground truth and fails).
SCRIPT = f"""
import json, pathlib, sys
if pathlib.Path('/input/predictions.json').exists():
    truth = ' '.join(p.read_text() for p in pathlib.Path('/opt/ml/input/data/ground_truth').rglob('*.txt'))
    for number in range({LOUD_LINES}):
        print('evaluation line', number)
    print('evaluation read', truth, flush=True)
    print('evaluation failed on', truth, file=sys.stderr)
    sys.exit(3)
[scan] = pathlib.Path('/input').rglob('*.mha')
print('algorithm stdout on', scan.name, flush=True)
print('algorithm stderr on', scan.name, file=sys.stderr, flush=True)
if 'bad' in scan.name:
    sys.exit(2)
json.dump(0.5, open('/output/logs-value.json', 'w'))
"""


def take_image(client, path, target):
    """Upload the `docker save` tarball at ``path`` to ``target`` (…/image or …/method); wait until it is checked."""
    session, file = client.upload(path)
    intake = client("POST", "challenges", target, 202, json={"upload_session": session, "file": file}).json()
    assert client.wait("challenges", f"container-images/{intake['id']}")["status"] == "succeeded"


@pytest.fixture(scope="module")
def world(hub, tmp_path_factory):
    """A public algorithm phase on two cases the participant may read, whose evaluation fails
    after printing the ground truth, a phase for participants only, and the participant's
    submission run to its end."""
    folder = tmp_path_factory.mktemp("logs")
    researcher, participant, outsider = (
        Client(hub, name) for name in ("researcher", "datascientist", "datascientist2")
    )
    tag = uuid.uuid4().hex[:6]
    challenge, archive, algorithm, phase = f"logs-{tag}", f"logs-cases-{tag}", f"logs-{tag}", f"open-{tag}"
    for slug, kind in [("logs-scan", "image"), ("logs-value", "float")]:
        assert researcher(
            "POST", "archives", "sockets", json={"slug": slug, "title": slug, "kind": kind}
        ).status_code in (201, 409)
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": archive})
    for case in ("case-good", "case-bad"):  # one session each: the good case is the first (the canary)
        upload_image(researcher, folder, f"{case}.mha", archive, socket="logs-scan")
    researcher(
        "POST", "archives", f"archives/{archive}/members", 201, json={"username": "datascientist", "role": "user"}
    )

    researcher("POST", "challenges", "challenges", 201, json={"slug": challenge, "title": "Logs"})
    limits = {"cpu_limit": 1, "memory_limit_mb": 512, "time_limit_s": 120}
    common = {"submission_kind": "algorithm", "archive": archive, "algorithm_inputs": ["logs-scan"],
              "algorithm_outputs": ["logs-value"], **limits}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{challenge}/phases", 201,
               json={**common, "slug": phase, "title": "Open", "visibility": "public"})  # fmt: skip
    researcher("POST", "challenges", f"challenges/{challenge}/phases", 201,
               json={**common, "slug": "members", "title": "Members", "visibility": "participants"})  # fmt: skip
    with zipfile.ZipFile(folder / "truth.zip", "w") as truth:
        truth.writestr("secret.txt", SECRET)
    session, file = researcher.upload(folder / "truth.zip")
    body = {"upload_session": session, "file": file}
    researcher("POST", "challenges", f"challenges/{challenge}/phases/{phase}/ground-truth", 202, json=body)
    assert researcher.wait("archives", f"upload-sessions/{session}/files/{file}")["status"] == "succeeded"

    image = script_image(docker.from_env(), f"run-logs-{tag}", SCRIPT)
    subprocess.run(["docker", "save", image, "-o", str(folder / "image.tar")], check=True)
    take_image(researcher, folder / "image.tar", f"challenges/{challenge}/phases/{phase}/method")
    request = participant("POST", "challenges", f"challenges/{challenge}/join", 201, json={"message": "hi"}).json()
    researcher("POST", "challenges", f"challenges/{challenge}/join-requests/{request['id']}", 200,
               json={"decision": "accept"})  # fmt: skip
    participant("POST", "challenges", "algorithms", 201, json={"slug": algorithm, "title": "Logs",
                "inputs": ["logs-scan"], "outputs": ["logs-value"], **limits})  # fmt: skip
    take_image(participant, folder / "image.tar", f"algorithms/{algorithm}/image")
    subprocess.run(["docker", "rmi", image], check=False, capture_output=True)

    submissions = f"challenges/{challenge}/phases/{phase}/submissions"
    submitted = participant("POST", "challenges", submissions, 201, json={"algorithm": algorithm}).json()
    path = f"{submissions}/{submitted['id']}"
    done = participant.wait("challenges", path, until=lambda body: body["status"] in ("succeeded", "failed"))
    assert done["status"] == "failed", done
    return {"hub": hub, "researcher": researcher, "participant": participant, "outsider": outsider,
            "challenge": challenge, "phase": phase, "algorithm": algorithm, "path": path,
            "submission": submitted["id"]}  # fmt: skip


def page(world, who):
    """The submission's page as ``who`` sees it."""
    url = f"{world['hub'].url}/services/challenges/challenges/{world['challenge']}/submissions/{world['submission']}"
    response = requests.get(url, headers=world[who].headers)
    assert response.status_code == 200, response.text
    return response.text


def gc_status(world, who):
    """What ``%gc_status <submission>`` shows ``who`` in a notebook."""
    token = world[who].headers["Authorization"].split()[1]
    client = NotebookClient(url=f"{world['hub'].url}/services/", token=token)
    return rendering.submission_text(client.find_submission(world["submission"]))


def test_the_challenges_admins_read_the_evaluations_logs(world):
    [evaluation] = world["researcher"]("GET", "challenges", world["path"], 200).json()["evaluations"]
    assert evaluation["error_message"] == "the container exited with code 3; the end of its stderr says why"
    assert evaluation["stderr_tail"].strip() == f"evaluation failed on {SECRET}"
    # A loud container's logs are kept to their last lines.
    lines = evaluation["stdout_tail"].splitlines()
    assert (
        len(lines) <= LOG_TAIL_LINES and lines[-1] == f"evaluation read {SECRET}" and "evaluation line 0" not in lines
    )
    assert f"evaluation failed on {SECRET}" in page(world, "researcher")
    shown = gc_status(world, "researcher")  # found among the phases the researcher administers
    assert f"logs of evaluation {evaluation['id']}:\n    evaluation failed on {SECRET}" in shown


def test_a_participant_reads_what_failed_not_the_evaluations_logs(world):
    answer = world["participant"]("GET", "challenges", world["path"], 200)
    [evaluation] = answer.json()["evaluations"]
    assert evaluation["error_message"] == EVALUATION_FAILURE
    assert "stderr_tail" not in evaluation and "stdout_tail" not in evaluation and SECRET not in answer.text
    shown = page(world, "participant")
    assert "the evaluation failed while it ran" in shown and SECRET not in shown and "evaluation line" not in shown
    status = gc_status(world, "participant")
    assert EVALUATION_FAILURE in status and SECRET not in status and "logs of evaluation" not in status


def test_a_participant_reads_their_jobs_logs_on_cases_they_may_read(world):
    jobs = {job["status"]: job for job in world["participant"]("GET", "challenges", world["path"], 200).json()["jobs"]}
    assert set(jobs) == {"succeeded", "failed"}
    assert jobs["succeeded"]["stdout_tail"].strip() == "algorithm stdout on case-good.mha"
    failed = jobs["failed"]
    assert failed["error_message"] == "the container exited with code 2; the end of its stderr says why"
    assert failed["stderr_tail"].strip() == "algorithm stderr on case-bad.mha"
    assert "algorithm stderr on case-bad.mha" in page(world, "participant")
    assert f"logs of job {failed['id']}:\n    algorithm stderr on case-bad.mha" in gc_status(world, "participant")


def test_one_who_has_not_joined_and_submits_is_told_how_to_join(world):
    outsider, challenge, phase = world["outsider"], world["challenge"], world["phase"]
    body = {"algorithm": world["algorithm"]}
    refused = outsider("POST", "challenges", f"challenges/{challenge}/phases/{phase}/submissions", 403, json=body)
    assert f"join it first with %gc_join {challenge}" in refused.json()["message"]
    # A phase for participants stays unknown to others (404, as a missing one), with the same advice.
    members = outsider("POST", "challenges", f"challenges/{challenge}/phases/members/submissions", 404, json=body)
    missing = outsider("POST", "challenges", f"challenges/{challenge}/phases/nowhere/submissions", 404, json=body)
    assert members.json()["message"] == missing.json()["message"].replace("nowhere", "members")
    assert f"%gc_join {challenge}" in members.json()["message"]
    url = f"{world['hub'].url}/services/challenges/challenges/{challenge}/phases/{phase}/submissions"
    shown = requests.get(url, headers=outsider.headers)
    assert shown.status_code == 200 and f"%gc_join {challenge}" in shown.text and "Submit one of my" not in shown.text
    # In a notebook: the public phase is found by its name alone, and the refusal says how to join.
    client = NotebookClient(url=f"{world['hub'].url}/services/", token=outsider.headers["Authorization"].split()[1])
    with pytest.raises(errors.PermissionDenied, match=f"%gc_join {challenge}"):
        client.submit_algorithm(phase, world["algorithm"])
    with pytest.raises(errors.NotFound, match=f"join it with %gc_join {challenge}"):
        client.phase(f"{challenge}/members")
