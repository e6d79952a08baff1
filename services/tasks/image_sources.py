"""Where a worker's engine gets an image it lacks, and how images are made available to the other
nodes: pushed to the cluster's registry (GC_REGISTRY) and recorded by digest.

An uploaded image can also be loaded from its tarball in the shared data folder; a built image has
no tarball (its record points at the build folder), so without a registry it runs only on the node
that built it, and elsewhere it is refused with a message that says so.
"""

import logging
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select

from ..core.orm import ContainerImage, UploadStatus
from ..runner import RegistryError, is_platform_image

log = logging.getLogger("gc-worker")


class ImageSource(NamedTuple):
    """Where to get an image from: ``tarball`` (an uploaded ``docker save`` file) and/or ``pull``
    (``repo@sha256:…`` in the registry); ``pinned`` is the image ID that must arrive."""

    tarball: Path | None = None
    pull: str | None = None
    pinned: str | None = None

    def get(self, runner, reference):
        """The ID of ``reference`` on ``runner``'s engine, fetched from here if it lacks it."""
        return runner.image_digest(reference, tarball=self.tarball, pull=self.pull, pinned=self.pinned)


def image_source(session, settings, reference, digest):
    """The source of image ``reference`` pinned to ``digest``: a platform image from the registry
    under its own name; an uploaded or built one from its record (the latest that holds it)."""
    if is_platform_image(reference, settings.image_prefix):
        pull = f"{settings.registry}/{reference}" if settings.registry else None
        return ImageSource(pull=pull, pinned=digest)
    if not digest:
        return ImageSource()
    record = session.scalars(
        select(ContainerImage)
        .where(ContainerImage.digest == digest, ContainerImage.status == UploadStatus.SUCCEEDED)
        .order_by(ContainerImage.id.desc())
    ).first()
    if record is None:
        return ImageSource(pinned=digest)
    tarball = Path(settings.data_dir, record.tarball_path)
    return ImageSource(tarball if tarball.is_file() else None, record.registry_reference, digest)


def publish(runner, settings, record):
    """Push ``record``'s image (its ``digest``) to the registry and note where, if there is one. A
    registry that refuses it is logged: the image still runs on this node (and, uploaded, on nodes
    that load its tarball), and the next run elsewhere says what is missing."""
    if not settings.registry:
        return
    kind = "algorithm" if record.algorithm_id is not None else "method"
    repository = f"{settings.registry}/{settings.instance}-images/{kind}-{record.id}"
    try:
        record.registry_reference = runner.push_image(record.digest, repository)
    except RegistryError as error:
        log.error("container image %s stays on this node only: %s", record.id, error)
