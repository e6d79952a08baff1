"""The task that checks an uploaded ``docker save`` tarball and loads it into the engine."""

import logging
from pathlib import Path

from docker.errors import DockerException
from sqlalchemy.orm import Session

from ..container_images import inspect_image_tarball
from ..core.errors import InvalidValue
from ..core.orm import ContainerImage, UploadStatus, advance
from ..runner import ImageRefused
from .execution import resources

log = logging.getLogger("gc-worker")

MAX_IMAGE_BYTES = 20 * 1024**3


def load_container_image(*, container_image_id):
    """Check container image ``container_image_id``'s tarball, load it, and make it the image of
    its algorithm or phase; or fail it with the reason."""
    settings, engine, runner = resources()
    with Session(engine) as session:
        image = session.get(ContainerImage, container_image_id)
        if image is None or image.status != UploadStatus.PENDING:
            return
        advance(image, UploadStatus.IMPORTING)
        session.commit()
        tarball = Path(settings.data_dir, image.tarball_path)
        new_to_engine = []
        try:
            found = inspect_image_tarball(tarball, max_bytes=MAX_IMAGE_BYTES)
            if not runner.has_image(found.config_digest):
                new_to_engine.append(found.config_digest)
            loaded = runner.load_image(tarball)
            if loaded.id != found.config_digest:
                raise InvalidValue(f"the engine loaded {loaded.id}, not the {found.config_digest} the tarball names")
            runner.refuse_root(loaded, "in this tarball")
        except (InvalidValue, ImageRefused) as refusal:
            for image_id in new_to_engine:  # what this tarball brought is not left for anyone to run
                runner.forget_image(image_id)
            return refuse(session, image, str(refusal))
        except DockerException as error:
            return refuse(session, image, f"the Docker engine could not load it: {error}")
        image.digest = loaded.id
        target = image.algorithm or image.phase
        if image.algorithm is not None:
            image.algorithm.container_image = image.algorithm.container_digest = loaded.id
        else:
            image.phase.method_image = image.phase.method_digest = loaded.id
        advance(image, UploadStatus.SUCCEEDED)
        session.commit()
        log.info("container image %s loaded as %s for %s", image.id, loaded.id, target.slug)
        return loaded.id


def refuse(session, image, message):
    image.error_message = message
    advance(image, UploadStatus.FAILED)
    session.commit()
    Path(resources()[0].data_dir, image.tarball_path).unlink(missing_ok=True)
    log.info("container image %s refused: %s", image.id, message)
    return "refused"
