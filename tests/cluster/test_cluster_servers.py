"""Users' servers on the swarm through the real hub: a server starts on a worker node and answers
through the proxy; with that node drained, the next start lands on the other node and finds the
user's home as it was left."""

import json

from cluster_harness import NODE_LABEL, sh


def server_node(cluster, instance, username):
    """The name (node1, node2) of the node that runs ``username``'s server task."""
    service = f"{instance}-{username}"
    task = sh("docker", "service", "ps", "-q", "--filter", "desired-state=running", service).split()[0]
    node_id = sh("docker", "inspect", "--format", "{{.NodeID}}", task).strip()
    labels = json.loads(sh("docker", "node", "inspect", "--format", "{{json .Spec.Labels}}", node_id))
    return labels[NODE_LABEL]


def test_a_server_moves_to_another_node_when_its_node_is_drained_and_keeps_its_home(cluster, cluster_hub):
    hub, _workers = cluster_hub
    user = hub.login("datascientist")
    contents = f"{hub.url}/user/datascientist/api/contents/notes.txt"
    r = user.start_server(profile="training")
    assert r.status_code in (201, 202), r.text
    user.wait_ready(timeout=300)  # the first start on a node pulls the training image from the registry
    first = server_node(cluster, hub.settings.instance, "datascientist")
    token = {"Authorization": f"token {user.new_token()}"}
    saved = user.put(contents, headers=token, json={"type": "file", "format": "text", "content": "kept"})
    assert saved.status_code in (200, 201), saved.text
    user.stop_server()

    cluster.set_availability(first, "drain")
    try:
        r = user.start_server(profile="training")
        assert r.status_code in (201, 202), r.text
        user.wait_ready(timeout=300)
        second = server_node(cluster, hub.settings.instance, "datascientist")
        assert second != first
        read = user.get(contents, headers=token)
        assert read.status_code == 200 and read.json()["content"] == "kept"
        user.stop_server()
    finally:
        cluster.set_availability(first, "active")


def test_a_server_whose_image_no_node_can_pull_fails_with_the_swarms_reason(cluster_hub):
    hub, _workers = cluster_hub
    user = hub.login("clinician")  # the workstation image is not in this cluster's registry
    r = user.start_server(profile="workstation")
    if r.status_code == 202:  # still pending: the failure arrives in the progress stream
        said = user.api("GET", "/users/clinician/server/progress").text
        assert '"failed": true' in said, said
    else:
        said = r.text
        assert r.status_code >= 500, said
    assert "Your server could not start" in said and "workstation" in said, said
    assert "" not in user.api("GET", "/users/clinician").json()["servers"]
