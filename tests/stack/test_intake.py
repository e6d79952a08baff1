"""Container image intake by a real worker: tarballs are checked, loaded and recorded, or refused
with the reason; an image refused after loading is not left on the engine; a node whose engine
lacks an uploaded image loads it again from its tarball. (Hostile layouts: test_hostile_images.)"""

import io
import json
import shutil
import tarfile
import uuid

import pytest
from docker.errors import ImageNotFound
from runtools import ExecutionPlatform, script_image
from sqlalchemy.orm import Session

from services.core.orm import Algorithm, AlgorithmInterface, AlgorithmJob
from services.queue import TaskQueue

pytestmark = pytest.mark.stack

HELLO = "print('hello')\n"
TRAINING = "gc-hub/training:latest"


def rename(source, target, tag):
    """A copy of the tarball ``source`` whose image calls itself ``tag``."""
    with tarfile.open(source) as tar, tarfile.open(target, "w") as out:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json":
                manifest = json.loads(data.read())
                manifest[0]["RepoTags"] = [tag]
                data = io.BytesIO(json.dumps(manifest).encode())
                member.size = len(data.getvalue())
            out.addfile(member, data)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = ExecutionPlatform(tmp_path_factory.mktemp("intake"))
    platform.start_worker(queues=("cpu",))
    yield platform
    platform.close()


@pytest.mark.parametrize("compress", [False, True])
def test_a_good_tarball_becomes_the_algorithms_image(platform, compress):
    image = script_image(platform.docker, "intake-good", HELLO)
    expected = platform.docker.images.get(image).id
    intake = platform.take_in(platform.save(image, f"good-{compress}.tar", remove=True, compress=compress))
    assert intake.status == "succeeded", intake.error_message
    assert intake.digest == expected == intake.algorithm.container_digest == intake.algorithm.container_image
    assert platform.docker.images.get(expected)


def test_an_image_that_runs_as_root_is_refused_and_not_loaded(platform):
    image = script_image(platform.docker, "intake-root", HELLO, user="root")
    image_id = platform.docker.images.get(image).id
    intake = platform.take_in(platform.save(image, "root.tar", remove=True))
    assert intake.status == "failed" and "runs as root" in intake.error_message and "USER 1000" in intake.error_message
    with pytest.raises(ImageNotFound):
        platform.docker.images.get(image_id)


def test_a_tarball_naming_a_platform_image_does_not_take_over_that_name(platform, tmp_path):
    # Its own content, so that no other test's image shares its id (and tags).
    image = script_image(platform.docker, "intake-impostor", HELLO + f"# {uuid.uuid4()}\n")
    impostor = platform.docker.images.get(image).id
    genuine = platform.docker.images.get(TRAINING).id
    relative = platform.save(image, "impostor.tar", remove=True)
    path = platform.data_dir / relative
    rename(path, tmp_path / "renamed.tar", TRAINING)
    shutil.move(tmp_path / "renamed.tar", path)
    intake = platform.take_in(relative)
    assert intake.status == "succeeded", intake.error_message
    assert intake.digest == impostor
    assert platform.docker.images.get(TRAINING).id == genuine
    assert platform.docker.images.get(impostor).tags == []


def test_a_tarball_of_an_image_the_engine_has_is_taken_and_nothing_is_removed(platform):
    intake = platform.take_in(platform.save("gc-hub/example-evaluation:latest", "example.tar"))
    assert intake.status == "succeeded", intake.error_message
    assert platform.docker.images.get("gc-hub/example-evaluation:latest").id == intake.digest


def test_a_node_whose_engine_lacks_an_uploaded_image_loads_it_again_by_its_id(platform):
    image = script_image(platform.docker, "intake-reload", HELLO)
    intake = platform.take_in(platform.save(image, "reload.tar", remove=True))
    assert intake.status == "succeeded", intake.error_message
    platform.docker.images.remove(intake.digest, force=True)  # as on a node that never had it
    with Session(platform.engine) as session:
        algorithm = session.get(Algorithm, intake.algorithm.id)
        algorithm.interfaces = [AlgorithmInterface(inputs=[], outputs=[])]  # reads and writes nothing
        job = AlgorithmJob(algorithm=algorithm, interface=algorithm.interfaces[0], creator="d", cpu_limit=1.0,
                           memory_limit_mb=512, time_limit_s=60)  # fmt: skip
        session.add(job)
        session.commit()
        TaskQueue.from_url(platform.redis.url).run(job)
        job_id = job.id
    job = platform.wait_until_done(job_id)
    assert job.status == "succeeded", job.error_message
    assert job.container_digest == intake.digest and "hello" in job.stdout_tail
    assert platform.docker.images.get(intake.digest).tags == []


def test_not_a_tarball_is_refused_with_what_to_do(platform):
    path = platform.data_dir / "container-images" / "notes.tar"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"these are my notes, not an image" * 10)
    intake = platform.take_in(path.relative_to(platform.data_dir))
    assert intake.status == "failed" and "docker save" in intake.error_message
    assert not path.exists(), "a refused tarball is deleted"
