"""Container image intake (served by the challenges service): an algorithm's editors, or a
phase's admins for its evaluation method, hand over a ``docker save`` tarball they uploaded
through an upload session; a worker checks and loads it, and the result says why if it refused.
"""

import os
import uuid
from pathlib import Path

from tornado import web

from ..api import container_images as shapes
from ..api.submissions import UploadedFileRef
from ..core.errors import Conflict, NotFound
from ..core.orm import ContainerImage, UploadFile, UploadStatus
from .algorithms import AlgorithmAccess
from .base import APIHandler, endpoint
from .challenges import ChallengeAccess


class UploadedFileAccess:
    """Files that people uploaded through an upload session (of the archives service) and then
    hand to another endpoint: container images, predictions, ground truth."""

    def uploaded_file(self, body):
        """The complete uploaded file of mine that ``body`` names by ``upload_session`` and ``file``."""
        session_id, file_id = body.upload_session, body.file
        file = self.db.get(UploadFile, file_id) if isinstance(file_id, int) else None
        if file is None or file.upload_session_id != session_id or file.upload_session.owner != self.username:
            raise NotFound(f"You have no uploaded file {file_id!r} in upload session {session_id!r}.")
        stored = Path(self.platform["settings"].data_dir, file.upload_path)
        if file.upload_session.status != UploadStatus.PENDING or not file.is_complete or not stored.is_file():
            raise Conflict(
                f"{file.filename} is not a complete upload ({file.received:,} of {file.size:,} bytes,"
                f" session {file.upload_session.status}); finish uploading it first."
            )
        return file


class IntakeHandler(UploadedFileAccess, AlgorithmAccess, ChallengeAccess, APIHandler):
    """Shared by the intake endpoints: turning an uploaded file into a queued ContainerImage."""

    def take_in(self, file, **target):
        """A pending ContainerImage for ``file`` (hard-linked out of its upload session), queued."""
        data_dir = self.platform["settings"].data_dir
        relative = f"container-images/{uuid.uuid4().hex}.tar"
        Path(data_dir, relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(Path(data_dir, file.upload_path), Path(data_dir, relative))
        image = ContainerImage(owner=self.username, tarball_path=relative, size=file.size, **target)
        self.db.add(image)
        self.commit()
        self.platform["queue"].load_container_image(image.id)
        self.write_model(shapes.ContainerImage.of(image), 202)


class AlgorithmImageHandler(IntakeHandler):
    """POST (algorithm editors): {"upload_session": id, "file": id} of an uploaded `docker save`
    tarball (.tar or .tar.gz: one linux/amd64 image that does not run as root); it is checked and
    loaded by a worker, then becomes the algorithm's image. 202 with the intake to follow."""

    @endpoint(UploadedFileRef, shapes.ContainerImage, 202)
    @web.authenticated
    def post(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="upload its container image")
        self.take_in(self.uploaded_file(self.body()), algorithm=algorithm)


class MethodImageHandler(IntakeHandler):
    """POST (challenge admins): {"upload_session": id, "file": id} of an uploaded `docker save`
    tarball of the phase's evaluation method; checked and loaded like an algorithm's image."""

    @endpoint(UploadedFileRef, shapes.ContainerImage, 202)
    @web.authenticated
    def post(self, slug, phase):
        phase = self.admin_phase(slug, phase)
        self.take_in(self.uploaded_file(self.body()), phase=phase)


class ContainerImageHandler(IntakeHandler):
    """GET: one container image intake of mine: its status, digest, or why it was refused."""

    @endpoint(returns=shapes.ContainerImage)
    @web.authenticated
    def get(self, image_id):
        image = self.db.get(ContainerImage, int(image_id))
        if image is None or (image.owner != self.username and not self.user.get("admin")):
            raise NotFound(f"You have no container image upload {image_id}.")
        self.write_model(shapes.ContainerImage.of(image))


def routes(prefix):
    api = prefix + "api/v1/"
    return [
        (api + r"algorithms/(?P<slug>[a-z0-9][a-z0-9-]*)/image", AlgorithmImageHandler),
        (
            api + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/phases/(?P<phase>[a-z0-9][a-z0-9-]*)/method",
            MethodImageHandler,
        ),
        (api + r"container-images/(?P<image_id>[0-9]+)", ContainerImageHandler),
    ]
