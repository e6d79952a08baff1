"""The shapes of upload sessions (archives service): files streamed in chunks, then imported."""

from pydantic import ConfigDict, Field

from ..core.errors import InvalidValue
from ..core.paths import inside
from ..core.status import UploadStatus
from .common import Body, Shape, Time, page_of
from .fields import parsed, stored


def clean_filename(field, name):
    """``name`` if it is a plain relative path (folders allowed, as in a DICOM folder upload)."""
    name = inside(field, name)
    if any(len(part) > 255 for part in name.split("/")):
        raise InvalidValue(f"'{field}' {name[:80]!r}… has a part longer than 255 characters.")
    return name


def file_size(field, size):
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidValue(f"'{field}' must be the file's size in bytes, a whole number.")
    return size


class UploadFile(Shape):
    """A file of an upload session: how much of it arrived, and what its import made of it."""

    id: int
    filename: str
    size: int = Field(description="Bytes announced.")
    received: int = Field(description="Bytes received so far: where a broken upload resumes.")
    status: UploadStatus
    message: str | None = Field(description="Why the file was refused, or what became of it.")
    image: int | None = Field(description="The image imported from it.")
    extracted_from: int | None = Field(description="The zip file it came out of.")

    @classmethod
    def of(cls, file):
        return cls.from_object(file, image=file.image_id, extracted_from=file.extracted_from_id)


class UploadSessionSummary(Shape):
    """An upload session of mine, as the list of them shows it."""

    id: int
    owner: str
    status: UploadStatus
    message: str | None
    archive: str | None = Field(description="The archive whose new cases the imported images become.")
    socket: str | None = Field(description="The image socket that holds them there.")
    created_at: Time
    completed_at: Time | None

    @classmethod
    def of(cls, session, **fields):
        return cls.from_object(
            session,
            message=session.error_message,
            archive=session.archive.slug if session.archive else None,
            socket=session.socket.slug if session.socket else None,
            **fields,
        )


UploadSessionPage = page_of(UploadSessionSummary, "UploadSessionPage")


class UploadSession(UploadSessionSummary):
    """An upload session with each of its files and the images imported from them."""

    files: list[UploadFile]
    images: list[int]

    @classmethod
    def of(cls, session):
        files = sorted(session.files, key=lambda f: f.id)
        images = sorted({f.image_id for f in files if f.image_id is not None})
        return super().of(session, files=[UploadFile.of(f) for f in files], images=images)


class UploadSessionCreate(Body):
    """A new upload session; with an archive and an image socket (both or neither), each imported
    image becomes a new case of that archive."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"archive": "chest-ct", "socket": "ct-image"}]})

    archive: stored(type=["string", "null"]) = None
    socket: stored(type=["string", "null"]) = None


class UploadFileAnnounce(Body):
    """A file to send next, by name and size; its bytes follow by PUT to its URL."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"filename": "scan.mha", "size": 1048576}]})

    filename: parsed(clean_filename, str, min_length=1)
    size: parsed(file_size, int, ge=0)
