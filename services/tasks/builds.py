"""The task that builds an algorithm's image from the training environment's own image plus the
files a data scientist sent (``services/web/builds.py``), checks it and makes it the algorithm's.

The image follows the container contract: ``python /opt/algorithm/<entrypoint>`` runs as user
1000 in /opt/algorithm, reads /input and writes /output. It is built through the runner with no
network (nothing is downloaded: the training image has what the notebook had) and with memory,
CPU and time limits, checked like an uploaded image (not root), and its entrypoint is compiled
once in the full sandbox so that a syntax error is reported now rather than on every case.
"""

import contextlib
import json
import logging
import shutil
from pathlib import Path

from docker.errors import DockerException
from sqlalchemy.orm import Session

from ..contract import new_run_folders
from ..core.orm import ContainerImage, UploadStatus, advance
from ..core.status import UPLOAD_OPEN
from ..runner import BuildFailed, ImageMissing, ImageRefused, RunSpec, Sandbox
from .execution import outcome_problem
from .image_sources import publish
from .intake import begin
from .resources import resources

log = logging.getLogger("gc-worker")

ALGORITHM_DIR = "/opt/algorithm"
BUILD_LABEL = "org.gc-hub.build"
LOG_LINES = 40
# The build copies files onto the training image; under the rq job's timeout (queue.BUILD_TIMEOUT_S).
BUILD_SANDBOX = Sandbox(cpu_limit=1.0, memory_limit_mb=2048, time_limit_s=1200)
# Compiling one file: little of everything.
CHECK_SANDBOX = Sandbox(cpu_limit=1.0, memory_limit_mb=512, time_limit_s=120, pids_limit=16, tmp_size_mb=16,
                        output_limit_mb=1)  # fmt: skip
# Compiles without writing a .pyc; run as `python -I`, so no file of the user's is imported.
COMPILE = "import sys; path = sys.argv[1]; compile(open(path, 'rb').read(), path, 'exec')"


def dockerfile(base, entrypoint):
    """The Dockerfile of a build: the base, the files, and the entrypoint under the contract."""
    return "\n".join(
        [
            f"FROM {base}",
            "USER root",
            f"COPY --chown=1000:100 files/ {ALGORITHM_DIR}/",
            f"WORKDIR {ALGORITHM_DIR}",
            "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1",
            "USER 1000",
            f'ENTRYPOINT ["python", "{ALGORITHM_DIR}/{entrypoint}"]',
            "CMD []",
            "",
        ]
    )


def build_tag(instance, image):
    return f"{instance}-builds/{image.algorithm.slug}:{image.id}"


def build_algorithm_image(*, container_image_id):
    """Build container image ``container_image_id`` (a build record), check it and make it its
    algorithm's image; or fail it with the reason and the end of the build's log."""
    settings, engine, runner, _queue = resources()
    with Session(engine) as session:
        image = session.get(ContainerImage, container_image_id)
        if image is None or image.status not in UPLOAD_OPEN or image.algorithm is None:
            return None
        begin(session, image)
        context = Path(settings.data_dir, image.tarball_path)
        try:
            entrypoint = json.loads((context / "build.json").read_text())["entrypoint"]
            base = settings.training_image
            (context / "Dockerfile").write_text(dockerfile(base, entrypoint))
        except (OSError, ValueError, KeyError) as error:
            return refuse(session, image, context, f"the build context could not be read: {error}")
        built = None
        try:
            built = build(runner, base, context, build_tag(settings.instance, image), image.id, settings.registry)
            runner.check_image(built, name="built from your files")
            check_entrypoint(
                runner,
                built,
                entrypoint,
                Path(settings.data_dir, "runs", f"build-{image.id}"),
                name=f"{settings.instance}-build-{image.id}-check",
                labels={BUILD_LABEL: str(image.id)},
            )
        except (ImageRefused, BuildFailed) as refusal:
            if built is not None:  # nobody runs an image that failed its checks
                runner.forget_image(built)
            return refuse(session, image, context, str(refusal))
        except Exception:  # a fault of the platform's: the build still ends, with a message
            log.exception("build %s failed in the platform", image.id)
            if built is not None:
                runner.forget_image(built)
            session.rollback()
            fault = (
                "the platform could not build it (its fault, not your files'); try again, and if it fails again"
                " ask the hub's admins, who see why in the worker's log"
            )
            return refuse(session, image, context, fault)
        image.digest = built
        publish(runner, settings, image)
        image.algorithm.container_image = image.algorithm.container_digest = built
        advance(image, UploadStatus.SUCCEEDED)
        session.commit()
        log.info("build %s made %s for algorithm %s", image.id, built, image.algorithm.slug)
        return built


def build(runner, base, context, tag, build_id, registry=""):
    """Build ``context`` (FROM ``base``) as ``tag`` on the runner's engine; the image ID."""
    with contextlib.suppress(ImageMissing):  # a node of a cluster may lack it: the registry may have it
        runner.pull_platform_image(base, registry)
    if not runner.has_image(base):
        raise BuildFailed(
            f"the training image {base} is not on this worker's Docker engine; its admins run `make images`"
        )
    return runner.build(context, tag, sandbox=BUILD_SANDBOX, labels={BUILD_LABEL: str(build_id)})


def check_entrypoint(runner, image_id, entrypoint, folder, *, name, labels):
    """Compile the entrypoint inside the image, in the sandbox (empty /input and /output in
    ``folder``): a syntax error fails the build."""
    folders = new_run_folders(folder)
    spec = RunSpec(
        image=image_id, sandbox=CHECK_SANDBOX, input_dir=folders.input, output_dir=folders.output, name=name,
        labels=labels, retry=True, entrypoint=("python", "-I", "-c", COMPILE, f"{ALGORITHM_DIR}/{entrypoint}"),
    )  # fmt: skip
    try:
        outcome = runner.run(spec)
    except DockerException as error:
        raise BuildFailed(f"the built image could not be checked: {error}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if outcome.stopped_because or outcome.oom_killed or outcome.exit_code == 137:
        raise BuildFailed(f"checking that {entrypoint} compiles failed: {outcome_problem(outcome, CHECK_SANDBOX)}")
    if outcome.exit_code:
        message = outcome.stderr_tail.strip().splitlines()[-LOG_LINES:]
        raise BuildFailed(f"{entrypoint} does not compile:\n" + "\n".join(message))


def refuse(session, image, context, message):
    image.error_message = message
    advance(image, UploadStatus.FAILED)
    session.commit()
    shutil.rmtree(context, ignore_errors=True)
    log.info("build %s failed: %s", image.id, message.splitlines()[0])
    return "refused"
