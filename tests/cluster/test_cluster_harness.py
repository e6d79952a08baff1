"""The harness itself: nodes in the swarm with their labels, the registry reachable from every node,
a service on a chosen node answering at the node's address and its host-mode published port."""

import json
import time
import urllib.request

from cluster_harness import NODE_LABEL, sh

SMALL_IMAGE = "gc-hub/base:bookworm"


def test_nodes_are_labelled_swarm_workers(cluster):
    for node in cluster.nodes:
        labels = json.loads(sh("docker", "node", "inspect", "--format", "{{json .Spec.Labels}}",
                               cluster.swarm_node_ids[node.name]))  # fmt: skip
        assert labels[NODE_LABEL] == node.name
        assert node.docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip() == "active"


def test_image_pushed_from_one_node_is_pulled_by_digest_on_the_other(cluster):
    pinned = cluster.publish_image(SMALL_IMAGE, via="node1")
    node2 = cluster.node("node2")
    node2.docker("pull", "-q", pinned, timeout=300)
    assert pinned in node2.docker("image", "inspect", "--format", "{{json .RepoDigests}}", pinned)


def test_service_on_a_chosen_node_answers_at_its_published_port(cluster):
    pinned = cluster.publish_image(SMALL_IMAGE, via="node1")
    name = "gcc15-harness-http"
    sh("docker", "service", "create", "--detach", "--name", name, "--restart-condition", "none",
       "--constraint", f"node.labels.{NODE_LABEL}==node2", "--publish", "mode=host,target=8000",
       pinned, "python3", "-m", "http.server", "8000")  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        port = None
        while port is None and time.monotonic() < deadline:
            tasks = sh("docker", "service", "ps", "-q", "--filter", "desired-state=running", name).split()
            for task in tasks:
                status = json.loads(sh("docker", "inspect", "--format", "{{json .Status}}", task))
                ports = (status.get("PortStatus") or {}).get("Ports") or []
                if status.get("State") == "running" and ports:
                    port = ports[0]["PublishedPort"]
            time.sleep(0.5)
        assert port, "the service's task never ran with a published port"
        url = f"http://{cluster.node('node2').address}:{port}/"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, f"nothing answered at {url}"
                time.sleep(0.5)
    finally:
        sh("docker", "service", "rm", name, check=False)
