"""Downloading an image's file (served by the archives service): what ``gc_extension`` fetches
for training data and for the outputs of algorithm jobs.

An image may be read by hub admins, by anyone who holds a role on an archive with a case that
holds it, and by the one who made it (an uploader, or the creator of the job that made an output)
-- except the outputs of a challenge submission's jobs on cases its submitter may not read (a
hidden test set: an algorithm could copy its input there) and the outputs of evaluations (owned by
the platform: they may hold the hidden ground truth); the admins of that challenge read those.
Everyone else gets 404, so that image ids do not tell who holds what. The same rule
decides which images a person may give as inputs of their own jobs (algorithms.py).
"""

import logging
import struct
import zlib
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from tornado import web

from ..core.errors import NotFound
from ..core.orm import (
    AlgorithmJob,
    ArchiveItem,
    ArchiveMember,
    ChallengeMember,
    ChallengeRole,
    Evaluation,
    Image,
    Phase,
    SocketValue,
    Submission,
)
from ..queue import QueueUnreachable
from .base import APIHandler, Kept, endpoint

CHUNK_BYTES = 1024 * 1024
log = logging.getLogger("gc-hub")


def readable_image(db, user, image_id):
    """Image ``image_id`` if ``user`` (the hub's user model) may read its file; NotFound otherwise."""
    image = db.get(Image, int(image_id))
    if image is not None and (user.get("admin") or may_read(db, image, user["name"])):
        return image
    raise NotFound(f"There is no image {image_id} that you may read.")


def may_read(db, image, username):
    my_archives = select(ArchiveMember.object_id).filter_by(username=username)
    in_my_archives = (
        select(ArchiveItem.id)
        .join(ArchiveItem.values)
        .where(SocketValue.image_id == image.id, ArchiveItem.archive_id.in_(my_archives))
    )
    if db.scalar(in_my_archives.limit(1)) is not None:
        return True
    if image.created_by != username:
        return made_for_a_challenge_i_administer(db, image, username)
    # made by a job of mine: a submission's job only on a case that I may read
    submission_jobs = (
        select(AlgorithmJob.creator, ArchiveItem.archive_id)
        .join(AlgorithmJob.outputs)
        .outerjoin(ArchiveItem, AlgorithmJob.archive_item_id == ArchiveItem.id)
        .where(SocketValue.image_id == image.id, AlgorithmJob.submission_id.is_not(None))
    )
    jobs = db.execute(submission_jobs).all()
    if not jobs:
        return True
    readable = set(db.scalars(my_archives))
    return any(creator == username and archive_id in readable for creator, archive_id in jobs)


def made_for_a_challenge_i_administer(db, image, username):
    """Whether ``image`` is an output of a submission's job, or of an evaluation, in a challenge
    that ``username`` administers."""
    submissions_there = (
        select(Submission.id)
        .join(Phase, Phase.id == Submission.phase_id)
        .join(ChallengeMember, ChallengeMember.object_id == Phase.challenge_id)
        .where(ChallengeMember.username == username, ChallengeMember.role == ChallengeRole.ADMIN)
    )
    made_there = [
        select(run.id)
        .join(run.outputs)
        .where(SocketValue.image_id == image.id, run.submission_id.in_(submissions_there))
        for run in (AlgorithmJob, Evaluation)
    ]
    return any(db.scalar(query.limit(1)) is not None for query in made_there)


def download_name(image):
    """The file name to save an image as: its name, with the stored file's suffix."""
    stem = PurePosixPath(image.name).name or f"image-{image.id}"
    suffix = PurePosixPath(image.path).suffix
    return stem if stem.lower().endswith(suffix.lower()) else f"{PurePosixPath(stem).stem}{suffix}"


class ImageFileHandler(APIHandler):
    """GET: the image's file (``.mha`` or ``.tif``), streamed; ``Content-Length`` is its size and
    ``X-Image-Sha256`` its checksum, so that a client can check what it received."""

    @endpoint(file_types=("application/octet-stream",))
    @web.authenticated
    async def get(self, image_id):
        image = readable_image(self.db, self.user, image_id)
        path = Path(self.platform["settings"].data_dir, image.path)
        if not path.is_file():
            raise NotFound(f"The file of image {image.id} is missing on the server; tell the platform's admins.")
        self.set_header("X-Image-Sha256", image.sha256)
        await stream_download(self, path, download_name(image))


async def stream_download(handler, path, name):
    """Stream the file ``path`` to ``handler``'s client as a download named ``name`` (plain
    characters only), in blocks; never shown inline."""
    handler.db.close()  # no transaction stays open while the bytes stream out
    handler.set_header("Content-Type", "application/octet-stream")
    handler.set_header("Content-Disposition", f'attachment; filename="{name}"')
    handler.set_header("Content-Length", str(path.stat().st_size))
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(CHUNK_BYTES), b""):
            handler.write(block)
            await handler.flush()
    handler.finish()


def png(width, height, gray):
    """A PNG of one ``gray`` level (0-255): the "no preview" picture, written here, parsed nowhere."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + bytes([gray]) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


NO_PREVIEW = png(64, 64, 0xD0)


def thumbnail_path(data_dir, image):
    """Where the importer's thumbnail of ``image`` is kept: beside its file, ``.png``."""
    return Path(data_dir, image.path).with_suffix(".png")


class ThumbnailHandler(APIHandler):
    """GET: the image's thumbnail (its middle slice, windowed, made by the importer in the
    sandbox), for whoever may read the image's file; a plain gray "no preview" picture for an image
    that has none yet (``X-Thumbnail: none``): one imported before thumbnails were made gets it
    drawn in the background (``tasks/thumbnails.py``), for the next request. Only stored PNG bytes
    are served: nothing is parsed here."""

    @endpoint(file_types=("image/png",))
    @web.authenticated
    def get(self, image_id):
        image = readable_image(self.db, self.user, image_id)
        path = thumbnail_path(self.platform["settings"].data_dir, image)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            body = NO_PREVIEW
            self.set_header("X-Thumbnail", "none")
            try:  # drawn in the background, in the sandbox: the next request gets it
                self.platform["queue"].draw_thumbnail(image.id)
            except QueueUnreachable as error:
                log.warning("could not queue the thumbnail of image %s: %s", image.id, error)
        self.set_header("Content-Type", "image/png")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.write_kept(Kept.of(body, "image/png"))


def routes(prefix):
    images = prefix + r"api/v1/images/(?P<image_id>[0-9]+)"
    return [(images + "/file", ImageFileHandler), (images + "/thumbnail.png", ThumbnailHandler)]


def thumbnail_routes(prefix):
    """The thumbnail alone (the challenges service shows the images of jobs and submissions)."""
    return [route for route in routes(prefix) if route[1] is ThumbnailHandler]
