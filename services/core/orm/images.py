"""Medical images and the upload sessions that import them."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..status import UploadStatus
from .base import Base, JSONData, children, grand_challenge_pk, parent_key, utcnow

if TYPE_CHECKING:  # both import this module (through orm.sockets)
    from .archives import Archive
    from .sockets import Socket


class ColorSpace(StrEnum):
    GRAY = "gray"
    RGB = "rgb"
    RGBA = "rgba"
    YCBCR = "ycbcr"


class Image(Base):
    """One imported image, stored as a single ``.mha`` or ``.tif`` file in the data directory.

    Geometry is in SimpleITK's order: ``dimensions`` are voxels along x, y, z (and t), ``spacing``
    and ``origin`` are in millimetres, ``direction`` is the row-major direction matrix, flattened.
    """

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    pk: Mapped[str] = grand_challenge_pk()
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    dimensions: Mapped[list] = mapped_column(JSONData)
    spacing: Mapped[list] = mapped_column(JSONData)
    origin: Mapped[list] = mapped_column(JSONData)
    direction: Mapped[list] = mapped_column(JSONData)
    pixel_type: Mapped[str] = mapped_column(String(64))
    color_space: Mapped[ColorSpace] = mapped_column(default=ColorSpace.GRAY)
    window_center: Mapped[float | None]
    window_width: Mapped[float | None]
    modality: Mapped[str | None] = mapped_column(String(16))
    # DICOM's series description, and the rescale its reader already applied to the stored voxels.
    series_description: Mapped[str | None] = mapped_column(String(64))
    rescale_slope: Mapped[float | None]
    rescale_intercept: Mapped[float | None]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UploadSession(Base):
    """Files someone uploaded to be imported as images; with a target archive, each image becomes
    a value of ``socket`` in a new item of that archive."""

    __tablename__ = "upload_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[UploadStatus] = mapped_column(default=UploadStatus.PENDING)
    error_message: Mapped[str] = mapped_column(Text, default="")
    archive_id: Mapped[int | None] = mapped_column(ForeignKey("archives.id", ondelete="SET NULL"))
    archive: Mapped["Archive | None"] = relationship()
    socket_id: Mapped[int | None] = mapped_column(ForeignKey("sockets.id", ondelete="RESTRICT"))
    socket: Mapped["Socket | None"] = relationship()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    files: Mapped[list["UploadFile"]] = children("UploadFile", "upload_session")


class UploadFile(Base):
    """What became of one uploaded file: the image made of it, or why none was."""

    __tablename__ = "upload_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_session_id: Mapped[int] = parent_key("upload_sessions")
    upload_session: Mapped[UploadSession] = relationship(back_populates="files")
    filename: Mapped[str] = mapped_column(String(1024))
    # Bytes the uploader announced, and bytes stored so far (uploads come in resumable chunks).
    size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The zip this file was extracted from, for files found inside an uploaded zip.
    extracted_from_id: Mapped[int | None] = mapped_column(ForeignKey("upload_files.id", ondelete="CASCADE"))
    status: Mapped[UploadStatus] = mapped_column(default=UploadStatus.PENDING)
    message: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id", ondelete="SET NULL"))
    image: Mapped[Image | None] = relationship()

    @property
    def is_complete(self):
        """Whether every announced byte has arrived."""
        return self.received >= self.size

    @property
    def upload_path(self):
        """Where the uploaded bytes lie, relative to the data directory (files of a session share
        a folder, so that an .mhd finds its .raw); files unpacked from a zip lie elsewhere."""
        return f"{upload_folder(self.upload_session_id)}/files/{self.filename}"


def upload_folder(upload_session_id):
    """The folder of an upload session's files, relative to the data directory."""
    return f"uploads/{upload_session_id}"
