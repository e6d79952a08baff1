"""Upload sessions in the archives service: files streamed in resumable chunks, then imported.

A session belongs to the user who made it; nobody else sees it (404). A session may target an
archive and an image socket, and each imported image then becomes a new case of that archive;
that needs the archive's uploader or editor role. Files arrive by ``PUT`` with an optional
``Content-Range: bytes first-last/size``: the body is streamed to disk as it arrives, never held
in memory, and a broken upload resumes at the ``received`` offset the file reports. ``POST
…/import`` hands the session to a worker (``services.imaging.tasks``) on the import queue.
"""

import contextlib
import logging
import os
import re
import shutil
import stat
from pathlib import Path

from sqlalchemy import func, select
from tornado import web
from traitlets import Integer
from traitlets.config import SingletonConfigurable

from ..api import uploads as shapes
from ..core.errors import Conflict, GcError, InvalidValue, NotFound
from ..core.orm import ContainerImage, Socket, Submission, UploadFile, UploadSession
from ..core.orm.images import upload_folder
from ..core.settings import EnvironmentSettings, env
from ..core.status import UPLOAD_OPEN, UploadStatus, advance
from ..core.units import human_bytes
from ..queue import QueueUnreachable
from .archives import UPLOAD, ArchiveAccess
from .base import APIHandler, endpoint
from .pages import shown

log = logging.getLogger("gc-hub")

CANCEL_CHECK_BYTES = 32 * 1024 * 1024  # a streaming upload looks for a cancel this often
CHUNK_BYTES = 8 * 1024 * 1024  # the upload page sends files in chunks of this size
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)$")


class UploadLimits(EnvironmentSettings, SingletonConfigurable):
    """How much people may upload (the archives service reads ``GC_UPLOAD_*`` variables)."""

    quota = Integer(
        100 * 1024**3,
        config=True,
        help="""Bytes one user's uploads may take (GC_UPLOAD_QUOTA; default 100 GiB): the files
        announced in their sessions that are not imported yet, and whatever of their uploads is
        still on disk as they sent it (a container image tarball, build files, predictions of a
        submission; the remains of a cancelled session a worker is still unpacking), each file
        once however many links it has. Imported images no longer count: the uploaded files are
        removed once the images are stored.""",
    ).tag(**env("GC_UPLOAD_QUOTA"))

    max_files = Integer(
        10_000,
        config=True,
        help="Most files one upload session may have (GC_UPLOAD_MAX_FILES; default 10000); zip a DICOM study instead.",
    ).tag(**env("GC_UPLOAD_MAX_FILES"))


def _regular_files(path):
    """(file identity, size, number of links) of each regular file at or under ``path``; links
    are not followed, and what disappears meanwhile is passed over."""
    try:
        found = [path.lstat()]
    except FileNotFoundError:
        return
    if stat.S_ISDIR(found[0].st_mode):
        found = []
        for folder, _, names in os.walk(path):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    found.append(os.lstat(os.path.join(folder, name)))
    for info in found:
        if stat.S_ISREG(info.st_mode):
            yield (info.st_dev, info.st_ino), info.st_size, info.st_nlink


def files_on_disk(paths):
    """{file identity: (size, number of links, names among ``paths``)} of the distinct regular
    files at or under ``paths``: a file with several names there is one file."""
    files = {}
    for path in paths:
        for identity, size, links in _regular_files(path):
            _, _, names = files.get(identity, (size, links, 0))
            files[identity] = (size, links, names + 1)
    return files


class UploadAccess(ArchiveAccess):
    """Finds the current user's upload sessions and files, and what they may do with them."""

    def upload_session(self, session_id, for_update=False):
        """My upload session ``session_id``; NotFound for everyone else's (admins included)."""
        query = select(UploadSession).filter_by(id=int(session_id), owner=self.username)
        if for_update:
            query = query.with_for_update()
        session = self.db.scalar(query)
        if session is None:
            raise NotFound(f"No upload session {session_id} of yours.")
        return session

    def open_session(self, session_id, doing):
        session = self.upload_session(session_id, for_update=True)
        if session.status != UploadStatus.PENDING:
            raise Conflict(
                f"Upload session {session.id} is {session.status}: you can no longer {doing}. Start a new session."
            )
        return session

    def upload_file(self, session, file_id):
        file = self.db.scalar(select(UploadFile).filter_by(id=int(file_id), upload_session_id=session.id))
        if file is None:
            raise NotFound(f"No file {file_id} in upload session {session.id}.")
        return file

    def uploaded_bytes(self):
        """Bytes my uploads take (what the quota counts, see UploadLimits.quota): the files
        announced in my open sessions, and the files of mine on disk elsewhere that are not one
        of those (a hard link into an open session is counted there, once)."""
        open_files = (
            select(UploadFile)
            .join(UploadSession)
            .where(
                UploadSession.owner == self.username,
                UploadSession.status.in_(UPLOAD_OPEN),
                UploadFile.extracted_from_id.is_(None),
            )
        )
        announced = self.db.scalar(open_files.with_only_columns(func.coalesce(func.sum(UploadFile.size), 0)))
        kept = files_on_disk(self.kept_uploads())
        linked = {size for size, links, names in kept.values() if links > names}  # a name elsewhere too
        in_sessions = set()
        if linked:
            data_dir = Path(self.platform["settings"].data_dir)
            files = self.db.scalars(open_files.where(UploadFile.size.in_(linked)))
            in_sessions = set(files_on_disk(data_dir / file.upload_path for file in files))
        return announced + sum(size for identity, (size, _, _) in kept.items() if identity not in in_sessions)

    def kept_uploads(self):
        """Where my uploads lie on disk outside my open sessions: the folders of my sessions that
        are no longer open but still on disk, my container image tarballs and build folders, and
        the predictions files of my submissions (paths; some may be gone)."""
        data_dir = Path(self.platform["settings"].data_dir)
        try:
            folders = [int(entry.name) for entry in os.scandir(data_dir / "uploads") if entry.name.isdigit()]
        except FileNotFoundError:
            folders = []
        closed = select(UploadSession.id).where(
            UploadSession.id.in_(folders),
            UploadSession.owner == self.username,
            UploadSession.status.not_in(UPLOAD_OPEN),
        )
        kept = [upload_folder(session_id) for session_id in self.db.scalars(closed)]
        kept += self.db.scalars(select(ContainerImage.tarball_path).filter_by(owner=self.username))
        kept += self.db.scalars(
            select(Submission.predictions_path)
            .filter_by(creator=self.username)
            .where(Submission.predictions_path.is_not(None))
        )
        return [data_dir / path for path in kept]

    def create_session(self, archive_slug=None, socket_slug=None):
        """A new upload session of mine; into archive ``archive_slug`` as values of image socket
        ``socket_slug`` when given (which needs the archive's uploader or editor role)."""
        if bool(archive_slug) != bool(socket_slug):
            raise InvalidValue("Give both 'archive' and 'socket' (an image socket), or neither.")
        session = UploadSession(owner=self.username)
        if archive_slug:
            session.archive, _ = self.archive(archive_slug, UPLOAD, "upload images into this archive")
            socket = self.db.scalar(select(Socket).filter_by(slug=socket_slug))
            if socket is None:
                raise NotFound(f"No socket {socket_slug!r}: define it first (POST sockets).")
            if not socket.kind.is_image:
                raise InvalidValue(
                    f"Socket {socket_slug!r} holds {socket.kind.value} values, not images; choose an image socket."
                )
            session.socket = socket
        self.db.add(session)
        self.db.flush()
        self.commit()
        return session

    def add_file(self, session, filename, size):
        """A new file of my open ``session`` (from ``open_session``), as a checked UploadFileAnnounce gives it."""
        files = list(session.files)
        if len(files) >= UploadLimits.instance().max_files:
            raise GcError(f"Upload session {session.id} has {len(files):,} files, the most one may have; zip the rest.")
        clash = next(
            (
                f
                for f in files
                if f.filename == filename
                or f.filename.startswith(filename + "/")
                or filename.startswith(f.filename + "/")
            ),
            None,
        )
        if clash:
            raise Conflict(f"Upload session {session.id} has a file {clash.filename!r} already; rename one of them.")
        quota, held = UploadLimits.instance().quota, self.uploaded_bytes()
        if held + size > quota:
            raise GcError(
                f"{filename} ({human_bytes(size)}) would take you over your upload quota of {human_bytes(quota)}: "
                f"your uploads take {human_bytes(held)} (sessions not imported yet, and files kept as you sent them:"
                " container images, builds, predictions). Import or cancel sessions first, or ask the admins.",
                status=413,
            )
        file = UploadFile(upload_session=session, filename=filename, size=size)
        self.db.add(file)
        self.db.flush()
        self.commit()
        return file

    def start_import(self, session_id):
        session = self.open_session(session_id, "start its import")
        files = list(session.files)
        if not files:
            raise GcError(f"Upload session {session.id} has no files yet: add and upload some first.")
        unfinished = [f for f in files if not f.is_complete]
        if unfinished:
            shown = "; ".join(
                f"{f.filename} has {human_bytes(f.received)} of {human_bytes(f.size)}" for f in unfinished[:3]
            )
            raise Conflict(
                f"{len(unfinished)} file(s) are not fully uploaded ({shown}): finish them or cancel the session."
            )
        advance(session, UploadStatus.IMPORTING)
        self.commit()
        try:
            self.platform["queue"].import_upload(session.id)
        except QueueUnreachable as error:  # the queue is down: say so, and leave nothing stuck as importing
            log.error("could not queue the import of upload session %s: %s", session.id, error)
            advance(session, UploadStatus.FAILED)
            session.error_message = (
                "The import queue could not be reached; start a new session later or tell the admins."
            )
            self.commit()
            self.remove_files(session)
            raise GcError(session.error_message, status=503) from None
        return session

    def cancel(self, session_id):
        session = self.upload_session(session_id, for_update=True)
        if session.status not in UPLOAD_OPEN:
            raise Conflict(f"Upload session {session.id} is {session.status} already; there is nothing to cancel.")
        advance(session, UploadStatus.CANCELLED)
        for file in session.files:
            if not file.status.is_terminal:
                advance(file, UploadStatus.CANCELLED)
                file.message = "cancelled"
        self.commit()
        self.remove_files(session)
        return session

    def remove_files(self, session):
        """Remove a session's files (committed as cancelled or failed); what a worker still
        unpacks there counts against the quota until that worker removes it too."""
        shutil.rmtree(Path(self.platform["settings"].data_dir, upload_folder(session.id)), ignore_errors=True)


class UploadAPIHandler(UploadAccess, APIHandler):
    """An API handler about upload sessions."""


class UploadSessionsHandler(UploadAPIHandler):
    """GET: my upload sessions, newest first. POST {archive?, socket?}: a new upload session;
    with an archive and an image socket, each imported image becomes a new case of the archive."""

    @endpoint(returns=shapes.UploadSessionPage)
    @web.authenticated
    def get(self):
        query = select(UploadSession).filter_by(owner=self.username).order_by(UploadSession.id.desc())
        self.write_model(self.page(query, shapes.UploadSessionSummary.of))

    @endpoint(shapes.UploadSessionCreate, shapes.UploadSession, 201)
    @web.authenticated
    def post(self):
        body = self.body()
        session = self.create_session(body.archive, body.socket)
        self.write_model(shapes.UploadSession.of(session), 201)


class UploadSessionHandler(UploadAPIHandler):
    """GET: one of my upload sessions with each file's progress and result."""

    @endpoint(returns=shapes.UploadSession)
    @web.authenticated
    def get(self, session_id):
        self.write_model(shapes.UploadSession.of(self.upload_session(session_id)))


class UploadFilesHandler(UploadAPIHandler):
    """POST {filename, size}: announce a file of my pending session (counts against my quota);
    then PUT its bytes to the file's URL."""

    @endpoint(shapes.UploadFileAnnounce, shapes.UploadFile, 201)
    @web.authenticated
    def post(self, session_id):
        session = self.open_session(session_id, "add files")
        body = self.body()
        file = self.add_file(session, body.filename, body.size)
        self.write_model(shapes.UploadFile.of(file), 201)


class ImportHandler(UploadAPIHandler):
    """POST: import my session's files (all fully uploaded) on the import queue."""

    @endpoint(returns=shapes.UploadSession, status=202)
    @web.authenticated
    def post(self, session_id):
        self.write_model(shapes.UploadSession.of(self.start_import(session_id)), 202)


class CancelHandler(UploadAPIHandler):
    """POST: cancel my pending or importing session; its uploaded bytes are removed, an upload
    still streaming is dropped."""

    @endpoint(returns=shapes.UploadSession)
    @web.authenticated
    def post(self, session_id):
        self.write_model(shapes.UploadSession.of(self.cancel(session_id)))


@web.stream_request_body
class UploadFileHandler(UploadAPIHandler):
    """GET: one file of my session: its size, the bytes received so far (where to resume) and its
    result. PUT: the file's bytes, streamed to disk: the whole file, or a chunk with
    ``Content-Range: bytes first-last/size`` that starts where the received bytes end."""

    sink = None

    @endpoint(returns=shapes.UploadFile)
    @web.authenticated
    def get(self, session_id, file_id):
        session = self.upload_session(session_id)
        self.write_model(shapes.UploadFile.of(self.upload_file(session, file_id)))

    def prepare(self):
        if self.request.method != "PUT":
            return super().prepare()
        if self.current_user is None:
            self.get_login_url()  # raises the JSON 403 that says how to sign in
        kwargs = self.path_kwargs
        session = self.open_session(kwargs["session_id"], "upload files")
        file = self.upload_file(session, kwargs["file_id"])
        self.first, self.length = self.byte_range(file)
        self.path = Path(self.platform["settings"].data_dir, file.upload_path)
        self.session_id, self.file_id = session.id, file.id
        self.db.rollback()  # no transaction stays open while the bytes stream in
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sink = open(self.path, "r+b" if self.path.exists() else "wb")  # noqa: SIM115 (closed in put/on_finish)
        self.sink.seek(self.first)
        self.sink.truncate()
        self.written, self.unchecked, self.cancelled = 0, 0, False
        self.request.connection.set_max_body_size(self.length)

    def byte_range(self, file):
        """(first byte, length) of this request's chunk of ``file``, checked against what arrived."""
        try:
            length = int(self.request.headers.get("Content-Length", ""))
        except ValueError:
            raise GcError("Send the chunk's Content-Length (no chunked transfer encoding).", status=411) from None
        header = self.request.headers.get("Content-Range")
        if header is None:
            first, last, total = 0, length - 1, length
        else:
            match = CONTENT_RANGE.match(header.strip())
            if not match:
                raise GcError(f"Content-Range {header!r} is not 'bytes first-last/size'.")
            first, last, total = map(int, match.groups())
        if total != file.size:
            raise GcError(
                f"{file.filename} was announced as {file.size:,} bytes, not {total:,}; announce it again as a new file."
            )
        if last - first + 1 != length or last >= total or first > last and total:
            raise GcError(f"Content-Range {first}-{last}/{total} does not fit a {length:,}-byte body.")
        if first != file.received:
            raise Conflict(
                f"{file.filename} has {file.received:,} bytes; send the chunk that starts at byte {file.received:,}."
            )
        return first, length

    def data_received(self, chunk):
        if self.cancelled:
            return
        self.sink.write(chunk)
        self.written += len(chunk)
        self.unchecked += len(chunk)
        if self.unchecked >= CANCEL_CHECK_BYTES:
            self.unchecked = 0
            status = self.db.scalar(select(UploadSession.status).filter_by(id=self.session_id))
            self.db.rollback()
            self.cancelled = status != UploadStatus.PENDING

    @endpoint(bytes, shapes.UploadFile, body_types=("application/octet-stream",))
    @web.authenticated
    def put(self, session_id, file_id):
        self.sink.close()
        session = self.upload_session(session_id, for_update=True)
        file = self.upload_file(session, file_id)
        if self.cancelled or session.status != UploadStatus.PENDING:
            self.path.unlink(missing_ok=True)
            raise Conflict(
                f"Upload session {session.id} is {session.status}: the bytes of {file.filename} were dropped."
            )
        if self.written != self.length:
            raise GcError(f"Received {self.written:,} of the chunk's {self.length:,} bytes; send it again.")
        file.received = self.first + self.written
        self.commit()
        self.write_model(shapes.UploadFile.of(file))

    def on_finish(self):
        if self.sink is not None:
            self.sink.close()
        super().on_finish()

    def on_connection_close(self):
        if self.sink is not None:  # the client went away mid-chunk: it resumes at ``received``
            self.sink.close()


def routes(prefix):
    api = prefix + "api/v1/upload-sessions"
    session, file = r"(?P<session_id>[0-9]+)", r"(?P<file_id>[0-9]+)"
    return [
        (api, UploadSessionsHandler),
        (f"{api}/{session}", UploadSessionHandler),
        (f"{api}/{session}/files", UploadFilesHandler),
        (f"{api}/{session}/files/{file}", UploadFileHandler),
        (f"{api}/{session}/import", ImportHandler),
        (f"{api}/{session}/cancel", CancelHandler),
    ]


def upload_panel(handler, archive, roles):
    """What the archive page's upload form needs: the image sockets to choose from, and my recent
    upload sessions into this archive with each file's result. None for those who may not upload."""
    if not (roles & UPLOAD or handler.user.get("admin")):
        return None
    sockets = handler.db.scalars(select(Socket).order_by(Socket.slug))
    query = (
        select(UploadSession)
        .filter_by(owner=handler.username, archive_id=archive.id)
        .order_by(UploadSession.id.desc())
        .limit(5)
    )
    return {
        "sockets": [{"slug": s.slug, "title": s.title} for s in sockets if s.kind.is_image],
        "sessions": [shown(shapes.UploadSession.of(s)) for s in handler.db.scalars(query)],
        "chunk_bytes": CHUNK_BYTES,
    }
