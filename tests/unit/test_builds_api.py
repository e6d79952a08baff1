"""Algorithm image builds: the endpoint that takes uploaded files and an entrypoint, and the
Dockerfile a worker builds (the build itself runs in tests/stack/test_notebook_tutorial.py)."""

import json
import shutil

import pytest
from apptools import fake_hub_auth, service_app

from services.core.settings import ExecutionSettings
from services.queue import Task
from services.tasks.builds import dockerfile
from services.web import uploads


@pytest.fixture
def apps(monkeypatch, tmp_path):
    database_url = f"sqlite:///{tmp_path}/gc.sqlite"
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path / "data"))
    with (
        fake_hub_auth(monkeypatch),
        service_app("archives", database_url) as archives,
        service_app("challenges", database_url) as challenges,
    ):

        def queued():
            """The ids of the builds queued so far."""
            return [work["container_image_id"] for work in challenges.queue.arguments(Task.BUILD_ALGORITHM_IMAGE)]

        yield archives, challenges, queued, tmp_path / "data"


def ok(answer, status=200):
    code, body = answer
    assert code == status, body
    return body


def uploaded(archives, files):
    """An upload session of the data scientist holding ``files`` ({name: bytes}); (session, ids)."""
    session = ok(archives.call("POST", "upload-sessions", "datascientist", {}), 201)["id"]
    ids = []
    for name, data in files.items():
        body = {"filename": name, "size": len(data)}
        file = ok(archives.call("POST", f"upload-sessions/{session}/files", "datascientist", body), 201)["id"]
        ok(archives.call("PUT", f"upload-sessions/{session}/files/{file}", "datascientist", raw=data))
        ids.append(file)
    return session, ids


def algorithm(challenges):
    body = {"slug": "my-otsu", "title": "Mine", "inputs": [], "outputs": []}
    ok(challenges.call("POST", "algorithms", "datascientist", body), 201)


def test_a_build_keeps_the_files_and_the_entrypoint_in_its_context_and_is_queued(apps):
    archives, challenges, queued, data_dir = apps
    algorithm(challenges)
    session, ids = uploaded(archives, {"predict.py": b"print('hi')\n", "model.pt": b"weights"})
    body = {"upload_session": session, "files": ids, "entrypoint": "predict.py"}
    build = ok(challenges.call("POST", "algorithms/my-otsu/builds", "datascientist", body), 202)
    assert (build["kind"], build["algorithm"], build["status"], build["size"]) == ("build", "my-otsu", "pending", 19)
    assert queued() == [build["id"]]
    [context] = (data_dir / "builds").iterdir()
    assert (context / "files/predict.py").read_bytes() == b"print('hi')\n"
    assert json.loads((context / "build.json").read_text()) == {
        "entrypoint": "predict.py",
        "files": ["model.pt", "predict.py"],
    }
    assert ok(challenges.call("GET", f"builds/{build['id']}", "datascientist"))["status"] == "pending"
    code, answer = challenges.call("GET", f"builds/{build['id']}", "researcher")
    assert code == 404 and answer["message"] == f"You have no algorithm image build {build['id']}."


def test_the_entrypoint_must_be_one_of_the_files(apps):
    archives, challenges, queued, _data_dir = apps
    algorithm(challenges)
    session, ids = uploaded(archives, {"model.pt": b"weights"})
    body = {"upload_session": session, "files": ids, "entrypoint": "predict.py"}
    code, answer = challenges.call("POST", "algorithms/my-otsu/builds", "datascientist", body)
    assert (
        code == 422 and answer["message"] == "'entrypoint' must be one of the files sent (model.pt), not 'predict.py'."
    )
    for files in ([], [ids[0], ids[0]]):
        body = {"upload_session": session, "files": files, "entrypoint": "model.pt"}
        code, answer = challenges.call("POST", "algorithms/my-otsu/builds", "datascientist", body)
        assert code == 422 and "'files' must be a list of 1 to 1000 different file ids" in answer["message"]
    assert queued() == []


def test_a_tarball_intake_is_not_a_build(apps):
    archives, challenges, _queued, _data_dir = apps
    algorithm(challenges)
    session, ids = uploaded(archives, {"image.tar": b"tar"})
    intake = ok(
        challenges.call(
            "POST", "algorithms/my-otsu/image", "datascientist", {"upload_session": session, "file": ids[0]}
        ),
        202,
    )
    assert challenges.call("GET", f"builds/{intake['id']}", "datascientist")[0] == 404


def test_the_image_runs_the_entrypoint_as_user_1000_from_the_training_image(monkeypatch):
    monkeypatch.delenv("GC_TRAINING_IMAGE", raising=False)
    monkeypatch.setenv("GC_IMAGE_PREFIX", "lab")
    assert ExecutionSettings().training_image == "lab/training:latest"
    lines = dockerfile("lab/training:latest", "predict.py").splitlines()
    assert lines[0] == "FROM lab/training:latest"
    assert "COPY --chown=1000:100 files/ /opt/algorithm/" in lines and "USER 1000" in lines
    assert lines.index("USER 1000") > lines.index("COPY --chown=1000:100 files/ /opt/algorithm/")
    assert 'ENTRYPOINT ["python", "/opt/algorithm/predict.py"]' in lines
    assert not any(line.startswith("RUN") for line in lines)  # nothing runs, nothing is downloaded


def test_files_handed_to_a_build_count_against_the_quota_as_long_as_they_are_on_disk(apps, monkeypatch):
    """A build hard-links the uploaded files: cancelling the session must not free what the build
    still holds, and a file with two names counts once."""
    archives, challenges, _queued, data_dir = apps
    monkeypatch.setattr(uploads.UploadLimits.instance(), "quota", 1000)
    algorithm(challenges)
    session, ids = uploaded(archives, {"predict.py": b"x" * 600})
    body = {"upload_session": session, "files": ids, "entrypoint": "predict.py"}
    ok(challenges.call("POST", "algorithms/my-otsu/builds", "datascientist", body), 202)
    [spec] = (data_dir / "builds").glob("*/build.json")
    held = 600 + spec.stat().st_size  # the build's files: the upload (one file, two names) and its spec
    ok(archives.call("POST", f"upload-sessions/{session}/files", "datascientist", {"filename": "b", "size": 300}), 201)
    ok(archives.call("POST", f"upload-sessions/{session}/cancel", "datascientist"))
    fresh = ok(archives.call("POST", "upload-sessions", "datascientist", {}), 201)["id"]
    announce = {"filename": "c", "size": 1000 - held + 1}
    code, answer = archives.call("POST", f"upload-sessions/{fresh}/files", "datascientist", announce)
    assert code == 413 and f"your uploads take {held} bytes" in answer["message"], answer
    (data_dir / "runs").mkdir()
    (data_dir / "runs" / "input.py").hardlink_to(spec.with_name("files") / "predict.py")  # as a worker lays out inputs
    code, answer = archives.call("POST", f"upload-sessions/{fresh}/files", "datascientist", announce)
    assert code == 413 and f"your uploads take {held} bytes" in answer["message"], answer
    ok(archives.call("POST", f"upload-sessions/{fresh}/files", "datascientist", {**announce, "size": 1000 - held}), 201)
    shutil.rmtree(data_dir / "builds")  # the build is gone
    ok(archives.call("POST", f"upload-sessions/{fresh}/files", "datascientist", {"filename": "d", "size": held}), 201)
