"""Hostile container images against the real worker, hub and Docker engine (issue 13, classes 3
and 4): a tarball cannot name or overwrite an image, and nothing of an image runs outside the
sandbox (its user is read from its files, never asked of its own binaries; VOLUMEs are small
tmpfs; a build's check cannot be fooled by the user's own modules).

Each attack is refused with a message that says what to do, or comes to nothing; afterwards the
platform images keep their IDs and the platform still runs its jobs."""

import hashlib
import io
import json
import tarfile
import uuid

import pytest
import requests
from docker.errors import ImageNotFound
from runtools import BASE_IMAGE, ExecutionPlatform, build_image, script_image

from gc_extension import Client, JobFailed
from services.runner import BuildFailed, Runner, Sandbox

pytestmark = pytest.mark.stack

TRAINING = "gc-hub/training:latest"
PLATFORM_IMAGES = (TRAINING, "gc-hub/example-algorithm:latest", "gc-hub/example-evaluation:latest")
OWNED = "attacker/owned:latest"  # a name no one has: it must not appear either
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
WRITE_RESULT = (
    "import json, subprocess\nsubprocess.run(['id'])\njson.dump({'ok': True}, open('/output/result.json', 'w'))\n"
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = ExecutionPlatform(tmp_path_factory.mktemp("hostile-images"))
    platform.platform_ids = {tag: platform.docker.images.get(tag).id for tag in PLATFORM_IMAGES}
    platform.start_worker(queues=("cpu",))
    yield platform
    platform.close()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def as_json(value):
    return json.dumps(value).encode()


def tiny_image(platform, variant):
    """``(config, layer)`` bytes of a one-layer image FROM scratch, its own per ``variant``, as
    `docker save` wrote them; the engine no longer has it."""
    dockerfile = f"FROM scratch\nCOPY hello.txt /hello.txt\nLABEL variant={variant}\nUSER 1000:1000\n"
    tag = build_image(platform.docker, f"gc-hub-test/tiny-{variant}:latest", dockerfile, {"hello.txt": "hello\n"})
    saved = b"".join(platform.docker.images.get(tag).save())
    platform.docker.images.remove(tag)
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:
        entry = json.load(tar.extractfile("manifest.json"))[0]
        return tar.extractfile(entry["Config"]).read(), tar.extractfile(entry["Layers"][0]).read()


def legacy(config, layer, tags, manifest_name="manifest.json"):
    """The members of a legacy `docker save` tarball whose manifest gives the image ``tags``."""
    config_name, layer_name = f"{sha256(config)}.json", f"{sha256(layer)}/layer.tar"
    manifest = [{"Config": config_name, "RepoTags": tags, "Layers": [layer_name]}]
    return [(config_name, config), (layer_name, layer), (manifest_name, as_json(manifest))]


def descriptor(media_type, data, annotations):
    return {"mediaType": media_type, "digest": f"sha256:{sha256(data)}", "size": len(data), "annotations": annotations}


def oci(config, layer, *, nested):
    """The members of an OCI layout (no manifest.json) whose index, and with ``nested`` also an
    index inside it, names the image in the annotations containerd and OCI tools read."""
    annotations = {"io.containerd.image.name": f"docker.io/{TRAINING}", "org.opencontainers.image.ref.name": "latest"}
    manifest = as_json({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{sha256(config)}",
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{sha256(layer)}",
                    "size": len(layer)}],
    })  # fmt: skip
    blobs = [config, layer, manifest]
    top = descriptor(OCI_MANIFEST, manifest, annotations)
    if nested:
        inner = as_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]})
        blobs.append(inner)
        top = descriptor(OCI_INDEX, inner, {**annotations, "io.containerd.image.name": f"docker.io/{OWNED}"})
    return [
        ("oci-layout", as_json({"imageLayoutVersion": "1.0.0"})),
        *((f"blobs/sha256/{sha256(blob)}", blob) for blob in blobs),
        ("index.json", as_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]})),
    ]


def repositories(layer):
    return ("repositories", as_json({"gc-hub/training": {"latest": sha256(layer)}}))


# layout -> (members of the tarball from (config, layer), the intake's end)
LAYOUTS = {
    "dot-slash-manifest": (lambda config, layer: legacy(config, layer, [TRAINING], "./manifest.json"), "succeeded"),
    "second-manifest-entry": (
        lambda config, layer: [*legacy(config, layer, []), legacy(config, layer, [TRAINING])[2]],
        "failed",
    ),
    "manifest-and-dot-slash-manifest": (
        lambda config, layer: [*legacy(config, layer, None), legacy(config, layer, [TRAINING], "./manifest.json")[2]],
        "failed",
    ),
    "manifest-in-a-sub-folder": (
        lambda config, layer: [
            *legacy(config, layer, [OWNED]),
            legacy(config, layer, [TRAINING], "sub/manifest.json")[2],
        ],
        "succeeded",
    ),
    "oci-index-annotations": (lambda config, layer: oci(config, layer, nested=False), "succeeded"),
    "oci-nested-index-annotations": (lambda config, layer: oci(config, layer, nested=True), "succeeded"),
    "repositories-beside-manifest": (
        lambda config, layer: [*legacy(config, layer, None), repositories(layer)],
        "succeeded",
    ),
    "repositories-alone": (
        lambda config, layer: [
            (f"{sha256(layer)}/json", config),
            (f"{sha256(layer)}/layer.tar", layer),
            repositories(layer),
        ],
        "failed",
    ),
}


def write_tarball(platform, name, members):
    path = platform.data_dir / "container-images" / name
    path.parent.mkdir(exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for member_name, data in members:
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.relative_to(platform.data_dir)


def assert_no_name_moved(platform):
    assert {tag: platform.docker.images.get(tag).id for tag in PLATFORM_IMAGES} == platform.platform_ids
    with pytest.raises(ImageNotFound):
        platform.docker.images.get(OWNED)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_tarball_cannot_name_or_overwrite_an_image(platform, layout):
    members, expected = LAYOUTS[layout]
    config, layer = tiny_image(platform, layout)
    image_id = f"sha256:{sha256(config)}"
    intake = platform.take_in(write_tarball(platform, f"{layout}.tar", members(config, layer)))
    assert intake.status == expected, intake.error_message
    if expected == "succeeded":
        assert intake.digest == intake.algorithm.container_digest == image_id
        assert platform.docker.images.get(image_id).tags == []  # known by its ID alone
    else:
        assert "docker save" in intake.error_message  # says how to make a good one
        with pytest.raises(ImageNotFound):
            platform.docker.images.get(image_id)
    assert_no_name_moved(platform)


# name -> (USER, Dockerfile instructions run as root before it, what the refusal says)
ROOT_IN_DISGUISE = {
    "fake-id-binary": (
        "toor",
        "RUN echo 'toor:x:0:0::/root:/bin/sh' >> /etc/passwd"
        " && printf '#!/bin/sh\\necho 1000\\n' > /usr/bin/id && chmod 755 /usr/bin/id",
        "runs as root (its USER 'toor' has uid 0 in its /etc/passwd)",
    ),
    "name-and-group-of-uid-0": (
        "svc:svc",
        "RUN echo 'svc:x:0:0::/tmp:/bin/sh' >> /etc/passwd && echo 'svc:x:4000:' >> /etc/group",
        "runs as root (its USER 'svc' has uid 0 in its /etc/passwd)",
    ),
    "passwd-links-to-a-root-entry": (
        "algo",
        "RUN mkdir /opt/users && echo 'algo:x:0:0::/tmp:/bin/sh' > /opt/users/list"
        " && rm /etc/passwd && ln -s ../opt/users/list /etc/passwd",
        "runs as root (its USER 'algo' has uid 0 in its /etc/passwd)",
    ),
    "passwd-links-out-of-the-image": (
        "algo",
        "RUN rm /etc/passwd && ln -s /proc/1/root/etc/passwd /etc/passwd",
        "has USER 'algo', but it has no /etc/passwd to look up 'algo'",
    ),
    "passwd-links-in-a-loop": (
        "algo",
        "RUN rm /etc/passwd && ln -s passwd.d /etc/passwd && ln -s passwd /etc/passwd.d",
        "has USER 'algo', but its /etc/passwd cannot be read (links in a loop?)",
    ),
    "passwd-is-a-folder": (
        "algo",
        "RUN rm /etc/passwd && mkdir /etc/passwd",
        "has USER 'algo', but its /etc/passwd is not a file",
    ),
}


def disguised(platform, name):
    user, setup, _ = ROOT_IN_DISGUISE[name]
    return script_image(platform.docker, f"hostile-{name}", WRITE_RESULT, user=user, setup=setup)


@pytest.mark.parametrize("name", ROOT_IN_DISGUISE)
def test_a_job_of_an_image_whose_user_is_root_in_disguise_is_refused_before_anything_runs(platform, name):
    job = platform.wait_until_done(platform.queue_job(disguised(platform, name)))
    assert job.status == "failed"
    assert ROOT_IN_DISGUISE[name][2] in job.error_message
    assert "add `USER 1000`" in job.error_message or "such as `USER 1000:1000`" in job.error_message
    assert job.stdout_tail == "" and job.exit_code is None  # never started


@pytest.mark.parametrize("name", ["fake-id-binary", "name-and-group-of-uid-0", "passwd-links-to-a-root-entry"])
def test_an_upload_whose_user_is_root_in_disguise_is_refused_and_removed(platform, name):
    image = disguised(platform, name)
    image_id = platform.docker.images.get(image).id
    intake = platform.take_in(platform.save(image, f"{name}.tar", remove=True))
    assert intake.status == "failed"
    assert intake.error_message.startswith(f"the container image in this tarball {ROOT_IN_DISGUISE[name][2]}")
    with pytest.raises(ImageNotFound):
        platform.docker.images.get(image_id)


@pytest.mark.parametrize(("user", "setup", "identity"), [
    ("1000", "", "uid=1000(jovyan) gid=100(users)"),
    ("algo", "RUN mkdir /opt/users && echo 'algo:x:1234:2345::/tmp:/bin/sh' > /opt/users/real"
             " && ln -s real /opt/users/step && rm /etc/passwd && ln -s /../../opt/users/step /etc/passwd",
     "uid=1234(algo) gid=2345"),
    ("jovyan:staff", "", "uid=1000(jovyan) gid=50(staff)"),
], ids=["numeric-uid", "name-through-links", "name-and-group"])  # fmt: skip
def test_a_job_runs_as_the_numbers_read_from_its_image(platform, user, setup, identity):
    image = script_image(
        platform.docker, f"hostile-user-{sha256(user.encode())[:8]}", WRITE_RESULT, user=user, setup=setup
    )
    for _ in range(2):  # the second job takes the numbers the first one found
        job = platform.wait_until_done(platform.queue_job(image))
        assert job.status == "succeeded", job.error_message
        assert identity in job.stdout_tail
    remembered = platform.data_dir / "cache" / "checked-images" / f"{job.container_digest.removeprefix('sha256:')}.json"
    uid, gid = identity.split()[:2]
    assert json.loads(remembered.read_text())["user"] == f"{uid[4:].split('(')[0]}:{gid[4:].split('(')[0]}"


FILL_VOLUME = """
for line in open('/proc/mounts'):
    if line.split()[1] == '/data':
        print('mounted:', line.strip(), flush=True)
chunk = b'x' * (1 << 20)
for part in range(20):  # 20 files of 32 MB: each under the file-size limit, together over /data's size
    with open(f'/data/part{part}', 'wb') as file:
        for _ in range(32):
            file.write(chunk)
    print('wrote', (part + 1) * 32, 'MB', flush=True)
"""


def test_a_volume_is_a_small_tmpfs_that_a_job_cannot_overfill(platform):
    image = script_image(platform.docker, "hostile-volume", FILL_VOLUME, setup="VOLUME /data")
    volumes_before = {volume.name for volume in platform.docker.volumes.list()}
    job = platform.wait_until_done(platform.queue_job(image))
    assert job.status == "failed"
    assert "No space left on device" in job.stderr_tail
    mounted = next(line for line in job.stdout_tail.splitlines() if line.startswith("mounted:")).split()
    assert mounted[1:4] == ["tmpfs", "/data", "tmpfs"]  # in memory, counted against the job's memory limit
    options = mounted[4].split(",")
    assert {"nosuid", "nodev", "size=262144k"} <= set(options)
    assert "wrote 288 MB" not in job.stdout_tail
    # No Docker volume of the job is left on the host's disk.
    leftover = {volume.name for volume in platform.docker.volumes.list()} - volumes_before
    assert not [name for name in leftover if len(name) == 64], leftover


def test_the_platform_still_runs_its_jobs_afterwards(platform):
    job = platform.wait_until_done(platform.queue_job(script_image(platform.docker, "hostile-after", WRITE_RESULT)))
    assert job.status == "succeeded", job.error_message
    assert_no_name_moved(platform)
    assert platform.workers[0].process.poll() is None
    assert not platform.docker.containers.list(all=True, filters={"label": f"org.gc-hub.instance={platform.instance}"})


@pytest.fixture(scope="module")
def researcher(hub):
    """The researcher's notebook client, with the sockets a build's algorithm uses."""
    token = hub.login("researcher").new_token()
    for body in ({"slug": "ct-image", "title": "CT", "kind": "image", "relative_path": "images/ct"},
                 {"slug": "segmentation", "title": "Segmentation", "kind": "segmentation"}):  # fmt: skip
        r = requests.post(
            f"{hub.url}/services/archives/api/v1/sockets", json=body, headers={"Authorization": f"token {token}"}
        )
        assert r.status_code in (201, 409), r.text
    return Client(url=f"{hub.url}/services/", token=token, poll_s=0.5)


# Modules a compile check run with `python -m py_compile` in /opt/algorithm would import from there.
SHADOWS = dict.fromkeys(("py_compile.py", "runpy.py"), "import sys\nprint('compiled, honestly')\nsys.exit(0)\n")


@pytest.mark.parametrize(
    ("source", "status"), [("def broken(:\n    pass\n", "failed"), ("print('fine')\n", "succeeded")]
)
def test_a_build_check_cannot_be_fooled_by_the_users_own_modules(researcher, tmp_path, source, status):
    (tmp_path / "main.py").write_text(source)
    for name, text in SHADOWS.items():
        (tmp_path / name).write_text(text)
    slug = f"shadow-{uuid.uuid4().hex[:6]}"
    build = researcher.build_algorithm(slug, tmp_path / "main.py", files=[tmp_path / n for n in SHADOWS],
                                       inputs=["ct-image"], outputs=["segmentation"])  # fmt: skip
    if status == "failed":
        with pytest.raises(JobFailed) as failure:
            researcher.wait_build(build, timeout_s=300)
        message = str(failure.value)
        assert "main.py does not compile" in message and "SyntaxError" in message, message
        assert "compiled, honestly" not in message
        assert researcher.algorithm(slug)["has_image"] is False
    else:
        built = researcher.wait_build(build, timeout_s=300)
        assert built.status == "succeeded"
        assert researcher.algorithm(slug)["has_image"] is True


# step -> (a Dockerfile instruction, the build's time limit, how its refusal starts)
BUILD_STEPS = {
    "network": (
        "RUN python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)\"",
        120,
        "docker build failed",
    ),
    "memory": ('RUN python3 -c "bytearray(400 << 20)"', 120, "docker build failed"),
    "time": ("RUN sleep 600", 3, "the build was stopped at its time limit of 3 s"),
}


@pytest.mark.parametrize("step", BUILD_STEPS)
def test_a_build_has_no_network_and_memory_and_time_limits(tmp_path, step):
    instruction, time_limit_s, refusal = BUILD_STEPS[step]
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\n{instruction}\n")
    runner = Runner(instance=f"gc-test-{uuid.uuid4().hex[:8]}")
    tag = f"gc-hub-test/hostile-build-{step}:latest"
    with pytest.raises(BuildFailed) as failure:
        runner.build(tmp_path, tag, sandbox=Sandbox(memory_limit_mb=256, time_limit_s=time_limit_s), labels={})
    assert str(failure.value).startswith(refusal), failure.value
    assert not runner.has_image(tag)
