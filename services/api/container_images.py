"""The shapes of container images (challenges service): ``docker save`` tarballs handed over for an
algorithm or a phase's evaluation method, and images built on the platform."""

from typing import Literal

from pydantic import ConfigDict

from ..core.status import UploadStatus
from .common import Body, Shape, Time
from .fields import stored


class ContainerImage(Shape):
    """A container image intake: its status, its digest once loaded, or why it was refused."""

    id: int
    owner: str
    algorithm: str | None
    phase: str | None
    status: UploadStatus
    error_message: str
    digest: str | None
    size: int
    created_at: Time
    completed_at: Time | None

    @classmethod
    def of(cls, image, **fields):
        return cls.from_object(
            image,
            algorithm=image.algorithm.slug if image.algorithm else None,
            phase=image.phase.slug if image.phase else None,
            **fields,
        )


class Build(ContainerImage):
    """An algorithm's image built on the platform from files of an upload session."""

    kind: Literal["build"]

    @classmethod
    def of(cls, image):
        return super().of(image, kind="build")


class BuildStart(Body):
    """Build an algorithm's image: the training image plus these complete files of an upload
    session of yours, running ``python <entrypoint>``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"upload_session": 3, "files": [7, 8], "entrypoint": "predict.py"}]}
    )

    upload_session: stored(type="integer")
    files: stored(type="array", items={"type": "integer"}, minItems=1, maxItems=1000, uniqueItems=True)
    entrypoint: stored(type="string", description="One of the files' names.")
