"""What goes wrong on a cluster, through the real hub: a node that stops in the middle of a job,
and hostile containers on an engine other than the hub's."""

import json

from cluster_harness import sh, wait_until
from cluster_tools import Client, build_algorithm

SLOW = b"import time\nprint('started', flush=True)\ntime.sleep(8)\nprint('finished', flush=True)\n"
FINISHED = ("succeeded", "failed", "cancelled")


def test_a_job_on_a_node_that_stops_is_run_again_elsewhere_and_nothing_is_lost(cluster, cluster_hub):
    hub, workers = cluster_hub
    scientist = Client(hub, "datascientist")
    slug, _build = build_algorithm(scientist, workers, "node1", SLOW)
    node1 = cluster.node("node1")
    workers.start("node1", "cpu")
    job = scientist("POST", "challenges", f"algorithms/{slug}/jobs", 201, json={"inputs": {}}).json()
    path = f"algorithm-jobs/{job['id']}"
    scientist.wait("challenges", path, until=lambda body: body["status"] in ("executing", *FINISHED))
    # Node 1 loses power: its worker dies at once and its engine stops with the job's container.
    workers.kill("node1")
    node1.stop_engine()
    try:
        workers.start("node2", "cpu")  # the reconciler (any worker) notices the lost job; node 2 runs it
        done = scientist.wait("challenges", path, until=lambda body: body["status"] in FINISHED)
    finally:
        workers.stop("node2", "cpu")
        node1.start_engine()
        node_id = cluster.swarm_node_ids["node1"]
        wait_until(lambda: sh("docker", "node", "inspect", "--format", "{{.Status.State}}", node_id).strip() == "ready",
                   "node 1 back in the swarm", timeout=120)  # fmt: skip
    assert done["status"] == "succeeded", done
    assert "finished" in done["stdout_tail"]
    # Node 1 came back with the stopped job's container; its next worker sweeps it off its engine.
    instance = f"label=org.gc-hub.instance={hub.settings.instance}"
    assert node1.docker("ps", "-aq", "--filter", instance).split(), "the stopped job's container is still there"
    workers.start("node1", "cpu")
    try:
        wait_until(lambda: not node1.docker("ps", "-aq", "--filter", instance).split(),
                   "node 1's worker removing the container of the job that ran elsewhere", timeout=60)  # fmt: skip
    finally:
        workers.stop("node1", "cpu")
    # The killed worker could not say it was leaving: it is listed until its heartbeat lapses (RQ's
    # worker TTL: 60 s past its next beat), then it is no longer counted.
    wait_until(lambda: not workers.listed("node1"), "the killed worker of node 1 no longer listed", timeout=180)


HOSTILE = b"""import json, os, socket
found = {"uid": os.getuid()}
status = dict(line.split(':', 1) for line in open('/proc/self/status') if ':' in line)
found["no_new_privs"] = status['NoNewPrivs'].strip()
found["capabilities"] = status['CapEff'].strip()
found["reached"] = []
for host, port in TARGETS:
    try:
        socket.create_connection((host, port), timeout=2).close()
        found["reached"].append(f"{host}:{port}")
    except OSError:
        pass
found["written"] = []
for path in ('/etc/evil', '/opt/algorithm/evil', '/evil'):
    try:
        open(path, 'w').write('x')
        found["written"].append(path)
    except OSError:
        pass
print('FOUND ' + json.dumps(found), flush=True)
"""
HOG = b"blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))\n"


def test_the_sandbox_holds_on_a_remote_engine(cluster, cluster_hub):
    hub, workers = cluster_hub
    researcher = Client(hub, "researcher")
    node2 = cluster.node("node2")
    targets = [(cluster.manager_address, hub.settings.port), (node2.host_address, hub.settings.port),
               (cluster.registry.split(":")[0], int(cluster.registry.split(":")[1])), ("1.1.1.1", 80)]  # fmt: skip
    hostile, _ = build_algorithm(researcher, workers, "node1", b"TARGETS = %s\n" % repr(targets).encode() + HOSTILE)
    hog, _ = build_algorithm(researcher, workers, "node1", HOG, memory_limit_mb=256)
    workers.start("node2", "cpu")
    try:
        jobs = {}
        for name, slug in (("hostile", hostile), ("hog", hog)):
            job = researcher("POST", "challenges", f"algorithms/{slug}/jobs", 201, json={"inputs": {}}).json()
            jobs[name] = researcher.wait("challenges", f"algorithm-jobs/{job['id']}",
                                         until=lambda body: body["status"] in FINISHED)  # fmt: skip
    finally:
        workers.stop("node2", "cpu")
    line = next(line for line in jobs["hostile"]["stdout_tail"].splitlines() if line.startswith("FOUND "))
    found = json.loads(line.removeprefix("FOUND "))
    assert found["uid"] != 0 and found["no_new_privs"] == "1" and int(found["capabilities"], 16) == 0, found
    assert found["reached"] == [], "no network: not the hub, not the node's host, not the registry, not the internet"
    assert found["written"] == [], "nothing outside /output and /tmp is writable"
    assert jobs["hog"]["status"] == "failed"
    assert "memory" in jobs["hog"]["error_message"].lower(), jobs["hog"]
