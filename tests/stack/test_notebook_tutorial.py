"""The tutorial notebook of the training image, run by a kernel (nbclient, through `jupyter
nbconvert --execute`) inside a data scientist's real training server spawned by the real hub,
against the real services, worker and Docker: join, download, submit predictions, build and
submit an algorithm, follow both to their evaluations, read the leaderboard, run the algorithm."""

import json
import os

import docker
import pytest
import requests
from hubtools import remove_home_volumes, running_hub

from gc_extension import Client, JobFailed, NotSignedIn
from services.demo import seed_demo
from services.launcher import example_image_ids

pytestmark = pytest.mark.stack

TUTORIAL = "gc-hub-tutorial.ipynb"  # copied into the home by the image's server config


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory):
    """A hub of its own with the demo content (the shared one stays without it)."""
    data_dir = tmp_path_factory.mktemp("gc-hub-notebook")
    instance = f"gc-hub-nb{os.getpid()}"
    try:
        with running_hub(data_dir, instance) as hub:
            seed_demo(hub.settings.database_url, hub.settings.data_dir, image_ids=example_image_ids())
            yield hub
    finally:
        remove_home_volumes(instance)
        engine = docker.from_env()
        for image in engine.images.list(filters={"label": f"org.gc-hub.instance={instance}"}):
            engine.images.remove(image.id, force=True)


def outputs_of(notebook):
    """Each code cell's source with the text it printed: (source, stdout, stderr, rich text)."""
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = {"stdout": "", "stderr": "", "data": ""}
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text[output["name"]] += "".join(output["text"])
            elif output["output_type"] in ("display_data", "execute_result"):
                data = output.get("data", {})
                text["data"] += "".join(data.get("text/plain", "")) + "".join(data.get("text/html", ""))
                text["data"] += "".join(f"[{kind}]" for kind in data if kind.startswith("image/"))
            elif output["output_type"] == "error":
                text["stderr"] += f"{output['ename']}: {output['evalue']}"
        cells.append(("".join(cell["source"]), text["stdout"], text["stderr"], text["data"]))
    return cells


def cell(cells, start):
    return next(c for c in cells if c[0].startswith(start))


def test_tutorial_runs_in_a_training_server(demo_hub, artifacts):
    scientist = demo_hub.login("datascientist")
    assert scientist.start_server(profile="training").status_code in (201, 202)
    try:
        scientist.wait_ready()
        container = docker.from_env().containers.get(f"{demo_hub.settings.instance}-datascientist")
        command = [
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            TUTORIAL,
            "--output",
            "/tmp/executed.ipynb",
            "--ExecutePreprocessor.timeout=1500",
        ]
        run = container.exec_run(command, workdir="/home/jovyan", user="jovyan")
        saved = container.exec_run(["cat", "/tmp/executed.ipynb"], user="jovyan")
        if saved.exit_code == 0:
            (artifacts / "tutorial-executed.ipynb").write_bytes(saved.output)
        assert run.exit_code == 0, run.output.decode()[-3000:]
        cells = outputs_of(json.loads(saved.output))
    finally:
        scientist.stop_server()

    problems = [(source.splitlines()[0], stderr) for source, _out, stderr, _data in cells if stderr.strip()]
    assert problems == [], problems
    assert "demo-challenge — Demo challenge [participant]" in cell(cells, "%gc_challenges")[1]
    assert "You take part in demo-challenge already." in cell(cells, "%gc_join")[1]
    assert "Saved 3 images in data/demo/" in cell(cells, "%gc_download")[1]
    assert "Submitted: submission" in cell(cells, "%gc_submit demo-challenge/predictions")[1]
    predictions_status = cell(cells, "%gc_status")[3]
    assert "to demo-challenge/predictions (predictions " in predictions_status
    assert ".zip): succeeded" in predictions_status and "result: dice=1" in predictions_status
    assert "built" in cell(cells, "%%gc_algorithm")[3] and "has its new image" in cell(cells, "%%gc_algorithm")[1]
    algorithm_status = [c for c in cells if c[0].startswith("%gc_status")][1][3]
    assert "(algorithm my-otsu): succeeded" in algorithm_status and "cases: 3 of 3 done" in algorithm_status
    board = cell(cells, "board = %gc_leaderboard")[3]
    assert "<table" in board and "datascientist" in board and "Volume difference" in board
    assert "[image/png]" in cell(cells, "%gc_leaderboard demo-challenge/predictions --plot")[3]
    assert "case-1.mha: job" in cell(cells, "%gc_run")[1] and "succeeded" in cell(cells, "%gc_run")[1]
    assert "expected: Challenge 'demo-challenge' has no phase 'no-such-phase'." in cell(cells, "from gc_extension")[1]

    # What the notebook did is on the platform: the built algorithm ranked on the sanity check.
    token = {"Authorization": f"token {scientist.new_token()}"}
    board = requests.get(
        f"{demo_hub.url}/services/leaderboard/api/v1/leaderboards/demo-challenge/sanity-check", headers=token
    ).json()
    assert [(e["user"], e["score"]) for e in board["results"]] == [("datascientist", 1.0)]


def test_a_build_that_does_not_compile_fails_with_the_compilers_message(demo_hub, tmp_path):
    scientist = demo_hub.login("datascientist")
    client = Client(url=f"{demo_hub.url}/services/", token=scientist.new_token(), poll_s=0.5)
    (tmp_path / "predict.py").write_text("def broken(:\n    pass\n")
    build = client.build_algorithm(
        "broken-otsu", tmp_path / "predict.py", inputs=["ct-image"], outputs=["segmentation"]
    )
    with pytest.raises(JobFailed) as failure:
        client.wait_build(build, timeout_s=300)
    assert "predict.py does not compile" in str(failure.value) and "SyntaxError" in str(failure.value)
    assert client.algorithm("broken-otsu")["has_image"] is False
    engine = docker.from_env()
    ours = [f"org.gc-hub.build={build.id}", f"org.gc-hub.instance={demo_hub.settings.instance}"]
    assert engine.images.list(filters={"label": ours}) == []  # build ids repeat across other tests' hubs


def test_a_token_the_hub_does_not_accept_says_to_restart_the_server(demo_hub):
    """An expired or revoked token looks like any unknown one to the services (which cache what the
    hub said of a token for a while, so a revocation shows only later)."""
    client = Client(url=f"{demo_hub.url}/services/", token="expired-or-revoked-token")
    with pytest.raises(NotSignedIn) as failure:
        client.challenges()
    assert str(failure.value).startswith(
        "The platform does not accept this notebook's hub token. Your server's hub token"
    )
