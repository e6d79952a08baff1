"""The task that builds an algorithm's image from the training environment's own image plus the
files a data scientist sent (``services/web/builds.py``), checks it and makes it the algorithm's.

The image follows the container contract: ``python /opt/algorithm/<entrypoint>`` runs as user
1000 in /opt/algorithm, reads /input and writes /output. It is built with no network (nothing is
downloaded: the training image has what the notebook had), checked like an uploaded image (not
root), and its entrypoint is compiled once in the sandbox so that a syntax error is reported now
rather than on every case.
"""

import json
import logging
import os
import shutil
from pathlib import Path

from docker.errors import BuildError, ContainerError, DockerException
from sqlalchemy.orm import Session

from ..core.orm import ContainerImage, UploadStatus, advance
from ..runner import INSTANCE_LABEL, ImageRefused
from .execution import resources

log = logging.getLogger("gc-worker")

ALGORITHM_DIR = "/opt/algorithm"
BUILD_LABEL = "org.gc-hub.build"
LOG_LINES = 40


def training_image(settings):
    """The image that data scientists train in: what builds start from (GC_TRAINING_IMAGE, else
    <image prefix>/training:latest, as images/build.sh names it)."""
    return os.environ.get("GC_TRAINING_IMAGE") or f"{settings.image_prefix}/training:latest"


def dockerfile(base, entrypoint):
    """The Dockerfile of a build: the base, the files, and the entrypoint under the contract."""
    return "\n".join([
        f"FROM {base}",
        "USER root",
        f"COPY --chown=1000:100 files/ {ALGORITHM_DIR}/",
        f"WORKDIR {ALGORITHM_DIR}",
        "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1",
        "USER 1000",
        f'ENTRYPOINT ["python", "{ALGORITHM_DIR}/{entrypoint}"]',
        "CMD []",
        "",
    ])


def build_tag(instance, image):
    return f"{instance}-builds/{image.algorithm.slug}:{image.id}"


def build_algorithm_image(*, container_image_id):
    """Build container image ``container_image_id`` (a build record), check it and make it its
    algorithm's image; or fail it with the reason and the end of the build's log."""
    settings, engine, runner = resources()
    with Session(engine) as session:
        image = session.get(ContainerImage, container_image_id)
        if image is None or image.status != UploadStatus.PENDING or image.algorithm is None:
            return None
        advance(image, UploadStatus.IMPORTING)
        session.commit()
        context = Path(settings.data_dir, image.tarball_path)
        built = None
        try:
            spec = json.loads((context / "build.json").read_text())
            base = training_image(settings)
            (context / "Dockerfile").write_text(dockerfile(base, spec["entrypoint"]))
            built = build(runner, base, context, build_tag(settings.instance, image), image.id)
            runner.refuse_root(built, "built from your files")
            check_entrypoint(runner, built.id, spec["entrypoint"])
        except (OSError, ValueError, KeyError) as error:
            return refuse(session, image, context, f"the build context could not be read: {error}")
        except (ImageRefused, BuildFailed) as refusal:
            if built is not None:  # nobody runs an image that failed its checks
                runner.forget_image(built.id)
            return refuse(session, image, context, str(refusal))
        image.digest = built.id
        image.algorithm.container_image = image.algorithm.container_digest = built.id
        advance(image, UploadStatus.SUCCEEDED)
        session.commit()
        log.info("build %s made %s for algorithm %s", image.id, built.id, image.algorithm.slug)
        return built.id


class BuildFailed(Exception):
    """The build or the check of its entrypoint failed; the message says why."""


def build(runner, base, context, tag, build_id):
    """Build ``context`` (FROM ``base``) as ``tag`` on the runner's engine; the image."""
    if not runner.has_image(base):
        raise BuildFailed(f"the training image {base} is not on this worker's Docker engine; its admins run `make images`")
    try:
        built, _logs = runner.client.images.build(
            path=str(context), tag=tag, rm=True, forcerm=True, pull=False, network_mode="none",
            labels={BUILD_LABEL: str(build_id), INSTANCE_LABEL: runner.instance},
        )
    except BuildError as error:
        lines = [entry.get("stream", entry.get("error", "")).rstrip() for entry in error.build_log or []]
        tail = "\n".join(line for line in lines if line)[-2000:]
        raise BuildFailed(f"docker build failed: {error.msg}\n{tail}") from None
    except DockerException as error:
        raise BuildFailed(f"the Docker engine could not build it: {error}") from None
    return built


def check_entrypoint(runner, image_id, entrypoint):
    """Compile the entrypoint inside the image, in a locked-down container: a syntax error fails the build."""
    try:
        runner.client.containers.run(
            image_id, entrypoint=["python", "-m", "py_compile", f"{ALGORITHM_DIR}/{entrypoint}"], command=[],
            remove=True, network_mode="none", cap_drop=["ALL"], security_opt=["no-new-privileges"],
            read_only=True, mem_limit="256m", environment={"PYTHONPYCACHEPREFIX": "/tmp/pycache"},
            tmpfs={"/tmp": "rw,size=64m"}, labels={INSTANCE_LABEL: runner.instance},
        )
    except ContainerError as error:
        message = (error.stderr or b"").decode("utf-8", errors="replace").strip().splitlines()[-LOG_LINES:]
        raise BuildFailed(f"{entrypoint} does not compile:\n" + "\n".join(message)) from None
    except DockerException as error:
        raise BuildFailed(f"the built image could not be checked: {error}") from None


def refuse(session, image, context, message):
    image.error_message = message
    advance(image, UploadStatus.FAILED)
    session.commit()
    shutil.rmtree(context, ignore_errors=True)
    log.info("build %s failed: %s", image.id, message.splitlines()[0])
    return "refused"
