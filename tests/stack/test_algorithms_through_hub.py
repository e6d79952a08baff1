"""Algorithms through the real hub, proxy and worker: a researcher uploads the example
algorithm as a `docker save` tarball, runs it on an uploaded scan, and cancels a job."""

import subprocess
import time
import uuid

import pytest
import requests
import SimpleITK as sitk

pytestmark = pytest.mark.stack

EXAMPLE = "gc-hub/example-algorithm:latest"
CHUNK = 32 * 1024 * 1024


class Client:
    """Calls to the archives and challenges APIs with one user's hub token."""

    def __init__(self, hub, name):
        self.hub, self.headers = hub, {"Authorization": f"token {hub.login(name).new_token()}"}

    def __call__(self, method, service, path, expect=None, **kwargs):
        r = requests.request(method, f"{self.hub.url}/services/{service}/api/v1/{path}", headers=self.headers, **kwargs)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def upload(self, path, name=None):
        """Upload the file at ``path`` in chunks into a new upload session: (session, file) ids."""
        session = self("POST", "archives", "upload-sessions", 201, json={}).json()["id"]
        size = path.stat().st_size
        body = {"filename": name or path.name, "size": size}
        file = self("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()["id"]
        with open(path, "rb") as stream:
            for first in range(0, size, CHUNK):
                part = stream.read(CHUNK)
                headers = {**self.headers, "Content-Range": f"bytes {first}-{first + len(part) - 1}/{size}"}
                url = f"{self.hub.url}/services/archives/api/v1/upload-sessions/{session}/files/{file}"
                r = requests.put(url, data=part, headers=headers)
                assert r.status_code == 200, r.text
        return session, file

    def wait(
        self,
        service,
        path,
        until=lambda body: body["status"] not in ("pending", "importing", "queued", "provisioning", "executing"),
    ):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            body = self("GET", service, path, 200).json()
            if until(body):
                return body
            time.sleep(0.3)
        raise AssertionError(f"{path} is still {body['status']}: {body}")


@pytest.fixture(scope="module")
def researcher(hub):
    return Client(hub, "researcher")


@pytest.fixture(scope="module")
def algorithm(researcher, tmp_path_factory):
    """An algorithm whose image was uploaded, checked and loaded: its slug."""
    for slug, kind, path in [("ct-image", "image", "images/image"), ("segmentation", "segmentation", None),
                             ("foreground-fraction", "float", None)]:  # fmt: skip
        body = {"slug": slug, "title": slug, "kind": kind, **({"relative_path": path} if path else {})}
        assert researcher("POST", "archives", "sockets", json=body).status_code in (201, 409)
    slug = f"otsu-{uuid.uuid4().hex[:6]}"
    body = {"slug": slug, "title": "Otsu", "inputs": ["ct-image"], "outputs": ["segmentation", "foreground-fraction"],
            "cpu_limit": 1, "memory_limit_mb": 1024, "time_limit_s": 120}  # fmt: skip
    researcher("POST", "challenges", "algorithms", 201, json=body)
    tarball = tmp_path_factory.mktemp("image") / "otsu.tar"
    subprocess.run(["docker", "save", EXAMPLE, "-o", str(tarball)], check=True)
    session, file = researcher.upload(tarball)
    intake = researcher(
        "POST", "challenges", f"algorithms/{slug}/image", 202, json={"upload_session": session, "file": file}
    )
    intake = researcher.wait("challenges", f"container-images/{intake.json()['id']}")
    assert intake["status"] == "succeeded", intake
    assert researcher("GET", "challenges", f"algorithms/{slug}", 200).json()["image_digest"] == intake["digest"]
    return slug


@pytest.fixture(scope="module")
def scan(researcher, tmp_path_factory):
    """The id of an image the researcher uploaded and the worker imported."""
    path = tmp_path_factory.mktemp("scan") / "case-7.mha"
    blob = sitk.GaussianSource(sitk.sitkFloat32, size=[40, 40, 20], sigma=[5, 5, 3], mean=[20, 20, 10], scale=1000)
    sitk.WriteImage(sitk.Cast(blob, sitk.sitkInt16), str(path), True)
    session, _file = researcher.upload(path)
    researcher("POST", "archives", f"upload-sessions/{session}/import", 202)
    done = researcher.wait("archives", f"upload-sessions/{session}")
    assert done["status"] == "succeeded", done
    return done["images"][0]


def test_a_job_of_an_uploaded_image_runs_in_the_sandbox(researcher, algorithm, scan, hub):
    job = researcher(
        "POST", "challenges", f"algorithms/{algorithm}/jobs", 201, json={"inputs": {"ct-image": {"image": scan}}}
    ).json()
    assert job["limits"] == {"cpus": 1.0, "memory_mb": 1024, "time_limit_s": 120, "gpu": False, "network": "none"}
    job = researcher.wait("challenges", f"algorithm-jobs/{job['id']}")
    assert job["status"] == "succeeded", job
    assert set(job["outputs"]) == {"segmentation", "foreground-fraction"}
    assert 0 < job["outputs"]["foreground-fraction"] < 1
    # Nobody else sees it.
    assert Client(hub, "datascientist")("GET", "challenges", f"algorithm-jobs/{job['id']}").status_code == 404


def test_a_job_is_cancelled_by_its_creator(researcher, algorithm, scan):
    # The example algorithm takes about a second: a job may end before its cancel arrives, and
    # a job that ended cannot be cancelled (409); then a new job is tried.
    for _attempt in range(5):
        job = researcher(
            "POST", "challenges", f"algorithms/{algorithm}/jobs", 201, json={"inputs": {"ct-image": {"image": scan}}}
        ).json()
        response = researcher("POST", "challenges", f"algorithm-jobs/{job['id']}/cancel")
        if response.status_code == 200:
            break
        assert response.status_code == 409 and "it cannot become cancelled" in response.json()["message"], response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled", response.text
    again = researcher("POST", "challenges", f"algorithm-jobs/{job['id']}/cancel")
    assert again.status_code == 409 and "cancelled; it cannot become cancelled" in again.json()["message"]


def test_bad_jobs_and_bad_images_are_refused_with_reasons(researcher, algorithm, tmp_path):
    r = researcher(
        "POST", "challenges", f"algorithms/{algorithm}/jobs", json={"inputs": {"ct-image": {"image": 999999}}}
    )
    assert r.status_code == 422 and "of an image you uploaded" in r.json()["message"]
    r = researcher("POST", "challenges", f"algorithms/{algorithm}/jobs", json={"inputs": {"age": 3}})
    assert r.status_code == 422 and "takes the inputs {ct-image}; you gave {age}" in r.json()["message"]
    (tmp_path / "model.tar").write_bytes(b"this is not a tarball at all" * 100)
    session, file = researcher.upload(tmp_path / "model.tar")
    intake = researcher(
        "POST", "challenges", f"algorithms/{algorithm}/image", 202, json={"upload_session": session, "file": file}
    )
    intake = researcher.wait("challenges", f"container-images/{intake.json()['id']}")
    assert intake["status"] == "failed" and "docker save" in intake["error_message"], intake
    # The algorithm keeps its good image.
    assert researcher("GET", "challenges", f"algorithms/{algorithm}", 200).json()["has_image"]
