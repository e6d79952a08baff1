"""What the cluster tests do through the hub: the stack tests' API client, building an algorithm
from a script on a chosen node, and where an image came from."""

import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parents[1] / "stack"))  # the stack tests' API client
from test_algorithms_through_hub import Client

__all__ = ["Client", "build_algorithm", "registry_reference", "repo_digests"]


def registry_reference(hub, digest):
    """The ``repo@sha256:…`` that the platform recorded for image ``digest``."""
    engine = create_engine(hub.env["GC_DATABASE_URL"])
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT registry_reference FROM container_images WHERE digest = :d AND status = 'succeeded'"),
            {"d": digest},
        ).scalar()
    engine.dispose()
    return found


def repo_digests(node, image_id):
    """The registry digests that node's engine knows image ``image_id`` by ("" if it lacks it)."""
    return node.docker("image", "inspect", "--format", "{{json .RepoDigests}}", image_id, check=False).strip()


def build_algorithm(client, workers, node_name, script, **limits):
    """An algorithm of no inputs and outputs that runs ``script`` (bytes), built on ``node_name``
    (which has the training image); its slug and the build's answer."""
    slug = f"built-{uuid.uuid4().hex[:6]}"
    body = {"slug": slug, "title": "Built", "inputs": [], "outputs": [], **limits}
    client("POST", "challenges", "algorithms", 201, json=body)
    session = client("POST", "archives", "upload-sessions", 201, json={}).json()["id"]
    body = {"filename": "predict.py", "size": len(script)}
    file = client("POST", "archives", f"upload-sessions/{session}/files", 201, json=body).json()["id"]
    client("PUT", "archives", f"upload-sessions/{session}/files/{file}", 200, data=script)
    workers.start(node_name, "cpu")
    try:
        body = {"upload_session": session, "files": [file], "entrypoint": "predict.py"}
        build = client("POST", "challenges", f"algorithms/{slug}/builds", 202, json=body).json()
        build = client.wait("challenges", f"builds/{build['id']}")
    finally:
        workers.stop(node_name, "cpu")
    assert build["status"] == "succeeded", build
    return slug, build
