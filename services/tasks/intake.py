"""The task that checks an uploaded ``docker save`` tarball and loads a canonical copy of it into
the engine, under its ID and no name (see Runner.load_image)."""

import logging
from pathlib import Path

from docker.errors import DockerException
from sqlalchemy.orm import Session

from ..core.errors import InvalidValue
from ..core.orm import ContainerImage, UploadStatus, advance
from ..core.status import UPLOAD_OPEN
from ..runner import ImageRefused
from .image_sources import publish
from .resources import resources

log = logging.getLogger("gc-worker")


def load_container_image(*, container_image_id):
    """Check container image ``container_image_id``'s tarball, load it, and make it the image of
    its algorithm or phase; or fail it with the reason."""
    settings, engine, runner, _queue = resources()
    with Session(engine) as session:
        image = session.get(ContainerImage, container_image_id)
        if image is None or image.status not in UPLOAD_OPEN:
            return None
        begin(session, image)
        try:
            image_id = runner.load_image(Path(settings.data_dir, image.tarball_path))
        except (InvalidValue, ImageRefused) as refusal:
            return refuse(session, image, str(refusal))
        except DockerException as error:
            return refuse(session, image, f"the Docker engine could not load it: {error}")
        image.digest = image_id
        publish(runner, settings, image)
        target = image.algorithm or image.phase
        if image.algorithm is not None:
            image.algorithm.container_image = image.algorithm.container_digest = image_id
        else:
            image.phase.method_image = image.phase.method_digest = image_id
        advance(image, UploadStatus.SUCCEEDED)
        session.commit()
        log.info("container image %s loaded as %s for %s", image.id, image_id, target.slug)
        return image_id


def begin(session, image):
    """Mark ``image`` (pending, or importing when an attempt that died began it) as importing."""
    if image.status == UploadStatus.PENDING:
        advance(image, UploadStatus.IMPORTING)
        session.commit()


def refuse(session, image, message):
    image.error_message = message
    advance(image, UploadStatus.FAILED)
    session.commit()
    Path(resources().settings.data_dir, image.tarball_path).unlink(missing_ok=True)
    log.info("container image %s refused: %s", image.id, message)
    return "refused"
