"""The import task: ``import_upload_session(upload_session_id=…)``, run by a worker on the import
queue after the archives service committed the session as importing.

Zips are unpacked here, into the session's folder; every image file is then parsed only inside
the sandboxed importer container (``sandbox.import_in_sandbox``), one container per session, with
that folder (and nothing else of the data directory) mounted read-only.
"""

import logging
import shutil
import time
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contract import image_row
from ..core.database import make_engine
from ..core.events import import_ended
from ..core.orm import ArchiveItem, UploadFile, UploadSession, make_value
from ..core.orm.images import upload_folder
from ..core.settings import ServiceSettings
from ..core.status import UploadStatus, advance
from ..unpacking import CannotUnpack, unpack
from .conversion import Upload
from .formats import Format, by_extension
from .importers import dims
from .limits import ImportLimits
from .sandbox import import_in_sandbox

log = logging.getLogger("gc-import")
CANCEL_CHECK_S = 1.0


def import_upload_session(*, upload_session_id):
    """Import every pending file of upload session ``upload_session_id`` into images (and, for a
    session that targets an archive, into new archive items); record each file's result."""
    settings = ServiceSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            SessionImport(db, db.get(UploadSession, upload_session_id), settings.data_dir).run()
    finally:
        engine.dispose()


class SessionImport:
    """The import of one upload session, step by step; each step commits what it decided."""

    def __init__(self, db, session, data_dir):
        self.db, self.session, self.data_dir = db, session, Path(data_dir)
        self.limits = ImportLimits()
        self.last_asked, self.was_cancelled = 0.0, False

    def run(self):
        session = self.session
        if session is None or session.status != UploadStatus.IMPORTING:
            log.info("upload session %s is not waiting for import; nothing to do", getattr(session, "id", "?"))
            return
        for member in [f for f in session.files if f.extracted_from_id is not None and not f.status.is_terminal]:
            self.db.delete(member)  # left by an import that died half-way: the zip is unpacked again
        files = [f for f in session.files if f.extracted_from_id is None and not f.status.is_terminal]
        for file in files:
            if file.status == UploadStatus.PENDING:
                advance(file, UploadStatus.IMPORTING)
        self.db.commit()
        self.db.refresh(session)
        uploads = []
        for file in files:
            if by_extension(file.filename) is Format.ZIP:
                uploads.extend(self.unpack(file))
            else:
                uploads.append(Upload(str(self.data_dir / file.upload_path), file.filename, file.id))
        self.db.commit()
        outcomes = import_in_sandbox(
            uploads,
            folder=self.data_dir / upload_folder(session.id),
            data_dir=self.data_dir,
            limits=self.limits,
            label=f"import-session-{session.id}",
            cancelled=self.cancelled,
        )
        self.db.refresh(session)
        if session.status == UploadStatus.CANCELLED:
            for outcome in outcomes:
                if outcome.image:
                    (self.data_dir / outcome.image.path).unlink(missing_ok=True)
                    (self.data_dir / outcome.image.path).with_suffix(".png").unlink(missing_ok=True)
            log.info("upload session %s was cancelled during its import; nothing kept", session.id)
        else:
            self.record(outcomes)
        shutil.rmtree(self.data_dir / upload_folder(session.id), ignore_errors=True)

    def cancelled(self):
        """Whether the session was cancelled meanwhile (asked while the importer runs, at most
        once a second): the importer is then stopped."""
        now = time.monotonic()
        if now - self.last_asked >= CANCEL_CHECK_S:
            self.last_asked = now
            status = self.db.scalar(select(UploadSession.status).where(UploadSession.id == self.session.id))
            self.db.commit()  # end the read transaction; nothing else is pending
            self.was_cancelled = status == UploadStatus.CANCELLED
        return self.was_cancelled

    def unpack(self, file):
        """Uploads of the files in the zip ``file``, each with an UploadFile row of its own."""
        folder = self.data_dir / upload_folder(self.session.id) / "unpacked" / str(file.id)
        try:
            members = unpack(path=self.data_dir / file.upload_path, name=file.filename, into=folder, limits=self.limits)
        except CannotUnpack as problem:
            self.finish(file, UploadStatus.FAILED, str(problem))
            return []
        uploads = []
        for relative, path in members:
            if PurePosixPath(relative).name.startswith(".") or relative.startswith("__MACOSX/"):
                continue  # what desktop zip tools add: .DS_Store, resource forks
            member = UploadFile(
                upload_session=self.session,
                filename=f"{file.filename}/{relative}",
                extracted_from_id=file.id,
                size=path.stat().st_size,
                received=path.stat().st_size,
                status=UploadStatus.IMPORTING,
            )
            self.db.add(member)
            self.db.flush()
            uploads.append(Upload(str(path), member.filename, member.id))
        file.message = f"unpacked {len(uploads)} files"  # succeeds with the session (a rerun unpacks it again)
        return uploads

    def finish(self, file, status, message):
        advance(file, status)
        file.message = message

    def record(self, outcomes):
        """Image rows, archive items and each file's result; the session's summary."""
        session, files = self.session, {f.id: f for f in self.session.files}
        images = 0
        for outcome in outcomes:
            if outcome.image is None:
                for key in outcome.keys:
                    self.finish(files[key], UploadStatus.FAILED, outcome.message)
                continue
            image = self.add_image(outcome, [files[key] for key in outcome.keys])
            images += 1
            for key in outcome.keys:
                self.finish(
                    files[key], UploadStatus.SUCCEEDED, "; ".join(filter(None, [describe(image), outcome.message]))
                )
                files[key].image = image
        for file in files.values():
            if file.status == UploadStatus.IMPORTING:  # zips whose files were all handled
                advance(file, UploadStatus.SUCCEEDED)
        failed = [f for f in files.values() if f.status == UploadStatus.FAILED]
        advance(session, UploadStatus.SUCCEEDED if images else UploadStatus.FAILED)
        session.error_message = (
            f"{len(failed)} of {len(files)} files could not be imported; see each file's message" if failed else ""
        )
        import_ended(self.db, session)
        self.db.commit()
        log.info("upload session %s: %s images, %s files failed", session.id, images, len(failed))

    def add_image(self, outcome, files):
        stored = outcome.image
        name = PurePosixPath(files[0].filename).name
        if len(files) > 1 and stored.modality is not None:  # a DICOM series: name it after its folder
            name = str(PurePosixPath(files[0].filename).parent) if "/" in files[0].filename else name
        image = image_row(stored, name=name, owner=self.session.owner)
        self.db.add(image)
        if self.session.archive is not None and self.session.socket is not None:
            item = ArchiveItem(archive=self.session.archive)
            item.values.append(make_value(self.db, self.session.socket, image=image))
            self.db.add(item)
        self.db.flush()
        return image


def describe(image):
    """``image 12: 512×512×100, 16-bit signed integer, CT``."""
    extra = f", {image.modality}" if image.modality else ""
    return f"image {image.id}: {dims(image.dimensions)}, {image.pixel_type}{extra}"
