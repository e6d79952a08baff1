"""Jobs on the cluster through the real hub: images are pushed to the registry by the node that
accepted or built them, and the node that runs them pulls them by digest and checks the pin."""

import subprocess
import urllib.request
import uuid

import pytest
from cluster_tools import Client, build_algorithm, registry_reference, repo_digests
from test_challenge_flow import otsu, packed_masks, scan, upload_cases

ALGORITHM_IMAGE = "gc-hub/example-algorithm:latest"
EVALUATION_IMAGE = "gc-hub/example-evaluation:latest"
METRICS_PORT = 9464  # in node 1's own network namespace


def intake(client, tmp_path, image, what):
    """Upload ``image`` as a `docker save` tarball for ``what`` (an API path); the intake's answer."""
    tarball = tmp_path / f"{uuid.uuid4().hex[:6]}.tar"
    subprocess.run(["docker", "save", image, "-o", str(tarball)], check=True)
    session, file = client.upload(tarball)
    started = client("POST", "challenges", what, 202, json={"upload_session": session, "file": file})
    done = client.wait("challenges", f"container-images/{started.json()['id']}")
    assert done["status"] == "succeeded", done
    return done


@pytest.fixture(scope="module")
def challenge(cluster_hub, tmp_path_factory):
    """An algorithm phase with two cases and its ground truth; its cases imported on node 2."""
    hub, workers = cluster_hub
    workers.start("node2", "import")  # node 2 pulls the importer from the registry
    folder = tmp_path_factory.mktemp("cluster-challenge")
    researcher = Client(hub, "researcher")
    tag = uuid.uuid4().hex[:6]
    slug, archive = f"cluster-{tag}", f"cases-{tag}"
    for socket, kind, path in [("ct-image", "image", "images/image"), ("segmentation", "segmentation", None),
                               ("foreground-fraction", "float", None)]:  # fmt: skip
        body = {"slug": socket, "title": socket, "kind": kind, **({"relative_path": path} if path else {})}
        assert researcher("POST", "archives", "sockets", json=body).status_code in (201, 409)
    cases = {f"case-{i}": scan(i) for i in range(2)}
    researcher("POST", "archives", "archives", 201, json={"slug": archive, "title": archive})
    upload_cases(researcher, archive, cases, folder)
    researcher("POST", "challenges", "challenges", 201, json={"slug": slug, "title": "Cluster"})
    phase = {"slug": "final", "title": "Final", "archive": archive, "visibility": "participants",
             "submission_kind": "algorithm", "algorithm_inputs": ["ct-image"], "algorithm_outputs": ["segmentation"],
             "cpu_limit": 1, "memory_limit_mb": 1024, "time_limit_s": 300}  # fmt: skip
    researcher("POST", "challenges", f"challenges/{slug}/phases", 201, json=phase)
    masks = packed_masks(folder, {case: otsu(image) for case, image in cases.items()}, "truth.zip")
    session, file = researcher.upload(masks)
    body = {"upload_session": session, "file": file}
    researcher("POST", "challenges", f"challenges/{slug}/phases/final/ground-truth", 202, json=body)
    assert researcher.wait("archives", f"upload-sessions/{session}/files/{file}")["status"] == "succeeded"
    return {"researcher": researcher, "slug": slug, "folder": folder}


def test_a_job_on_node1_and_its_evaluation_on_node2_each_pull_by_digest(cluster, cluster_hub, challenge, tmp_path):
    hub, workers = cluster_hub
    researcher, slug = challenge["researcher"], challenge["slug"]
    node1, node2 = cluster.node("node1"), cluster.node("node2")
    # The method is accepted on node 1 and the algorithm on node 2: each is pushed by the node that took it.
    workers.start("node1", "cpu")
    method = intake(researcher, tmp_path, EVALUATION_IMAGE, f"challenges/{slug}/phases/final/method")
    workers.stop("node1", "cpu")
    algorithm, alice = f"otsu-{slug}", Client(hub, "datascientist2")
    alice("POST", "challenges", "algorithms", 201, json={"slug": algorithm, "title": "Otsu",
          "inputs": ["ct-image"], "outputs": ["segmentation", "foreground-fraction"]})  # fmt: skip
    worker = workers.start("node2", "cpu")
    accepted = intake(alice, tmp_path, ALGORITHM_IMAGE, f"algorithms/{algorithm}/image")
    workers.stop("node2", "cpu")
    assert worker.returncode is not None
    for image, kept_on, other in [(method, node1, node2), (accepted, node2, node1)]:
        pinned = registry_reference(hub, image["digest"])
        assert pinned and pinned.startswith(f"{cluster.registry}/") and "@sha256:" in pinned
        assert repo_digests(kept_on, image["digest"]), "on the node that accepted it"
        assert repo_digests(other, image["digest"]) == "", "not on the other node before the run"

    workers.start("node1", "cpu", metrics_port=METRICS_PORT)
    workers.start("node2", "evaluation")
    try:
        request = alice("POST", "challenges", f"challenges/{slug}/join", 201, json={"message": "hi"}).json()
        researcher("POST", "challenges", f"challenges/{slug}/join-requests/{request['id']}", 200,
                   json={"decision": "accept"})  # fmt: skip
        path = f"challenges/{slug}/phases/final/submissions"
        submission = alice("POST", "challenges", path, 201, json={"algorithm": algorithm}).json()
        done = alice.wait("challenges", f"{path}/{submission['id']}",
                          until=lambda body: body["status"] in ("succeeded", "failed", "cancelled"))  # fmt: skip
        assert done["status"] == "succeeded", done
        assert done["evaluations"][0]["metrics"]["aggregates"]["score"] > 0.99
        # Node 1 pulled the algorithm and node 2 the method, each by the digest the registry recorded.
        assert registry_reference(hub, accepted["digest"]) in repo_digests(node1, accepted["digest"])
        assert registry_reference(hub, method["digest"]) in repo_digests(node2, method["digest"])
        # Node 1's worker serves the platform's metrics: workers by node and queue, runs by state.
        with urllib.request.urlopen(f"http://{node1.address}:{METRICS_PORT}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        assert f'gc_workers{{node="{node1.address}",queue="cpu"}} 1.0' in metrics, metrics
        assert f'gc_workers{{node="{node2.address}",queue="evaluation"}} 1.0' in metrics, metrics
        assert 'gc_runs{kind="evaluation",state="succeeded"} 1.0' in metrics
        assert 'gc_queue_depth{queue="cpu"} 0.0' in metrics
    finally:  # a failure here leaves no worker behind to take the next test's jobs
        workers.stop("node1", "cpu")
        workers.stop("node2", "evaluation")


def test_an_algorithm_built_on_one_node_runs_on_another(cluster, cluster_hub):
    hub, workers = cluster_hub
    scientist = Client(hub, "datascientist")
    algorithm, build = build_algorithm(scientist, workers, "node1", b"print('built on one node, run on another')\n")
    assert repo_digests(cluster.node("node2"), build["digest"]) == "", "node 2 has never seen the built image"
    workers.start("node2", "cpu")
    try:
        job = scientist("POST", "challenges", f"algorithms/{algorithm}/jobs", 201, json={"inputs": {}}).json()
        job = scientist.wait("challenges", f"algorithm-jobs/{job['id']}")
    finally:
        workers.stop("node2", "cpu")
    assert job["status"] == "succeeded", job
    assert "built on one node, run on another" in job["stdout_tail"]
    assert registry_reference(hub, build["digest"]) in repo_digests(cluster.node("node2"), build["digest"])
