"""The task that makes an uploaded file a phase's ground truth: a zip or a tarball unpacked by the
one unpacker (services/unpacking.py), any other file kept as it is, in the challenge's folder under
a name taken from its checksum. The upload's own row (an UploadFile) says how it went: an archive
that cannot be unpacked fails it with the reason, and the phase keeps its earlier ground truth.

The challenges service hard-links the upload to where this task finds it, marks the file as
importing and enqueues this task after its commit (services/web/submissions.py): unpacking never
runs in a request handler. The phase keeps its earlier ground truth until this succeeds.
"""

import logging
import shutil
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from ..contract import sha256_of
from ..core.database import make_engine
from ..core.orm import Phase, UploadFile, UploadStatus, advance
from ..core.settings import ServiceSettings
from ..imaging.limits import ImportLimits
from ..unpacking import CannotUnpack, archive_kind, made_once, unpack

log = logging.getLogger("gc-worker")


def make_ground_truth(*, phase_id, upload_file_id, archive, folder):
    """Make ``archive`` (relative to the data directory; removed once the file has ended, kept
    for the retry if this fails), uploaded as file ``upload_file_id``, the ground truth of phase
    ``phase_id``, kept under ``folder``."""
    settings = ServiceSettings()
    engine = make_engine(settings.database_url)
    source = Path(settings.data_dir, archive)
    try:
        with Session(engine) as db:
            ended = GroundTruth(db, settings.data_dir, folder).make(phase_id, upload_file_id, source)
    finally:
        engine.dispose()
    source.unlink(missing_ok=True)
    return ended


def ground_truth_maker(upload_file_id):
    """Who makes a ground truth folder, in the names of what it leaves half made (see made_once)."""
    return f"file-{upload_file_id}"


class GroundTruth:
    def __init__(self, db, data_dir, folder):
        self.db, self.data_dir, self.folder = db, Path(data_dir), folder

    def make(self, phase_id, upload_file_id, source):
        phase, file = self.db.get(Phase, phase_id), self.db.get(UploadFile, upload_file_id)
        if phase is None or file is None or file.status != UploadStatus.IMPORTING:
            log.info("ground truth from upload file %s: no longer wanted; nothing to do", upload_file_id)
            return "nothing to do"
        digest = sha256_of(source)[:16]
        relative = f"{self.folder}/{digest}"
        try:
            files = self.unpack(source, file.filename, self.data_dir / relative, by=ground_truth_maker(file.id))
        except CannotUnpack as problem:
            message = f"{problem}; phase {phase.slug!r} keeps its earlier ground truth"
            return self.end(file, UploadStatus.FAILED, message)
        phase.ground_truth_path, phase.ground_truth_version = relative, f"sha256:{digest}"
        message = f"the ground truth of phase {phase.slug!r} ({files} file(s), version sha256:{digest})"
        return self.end(file, UploadStatus.SUCCEEDED, message)

    def end(self, file, status, message):
        self.db.refresh(file, with_for_update=True)
        if file.status != UploadStatus.IMPORTING:  # its session was cancelled meanwhile
            self.db.rollback()
            return str(file.status)
        advance(file, status)
        file.message = message
        self.db.commit()
        log.info("ground truth from upload file %s: %s", file.id, message)
        return str(status)

    @staticmethod
    def unpack(source, name, target, by):
        """Unpack (a zip or a tarball) or copy (any other file) ``source`` into the folder
        ``target`` unless an earlier upload of the same bytes is there already; how many files it
        holds. ``by`` names the maker (see made_once)."""

        def make(folder):
            if archive_kind(source):
                unpack(path=source, name=name, into=folder, limits=ImportLimits())
            else:
                folder.mkdir(parents=True)
                shutil.copyfile(source, folder / PurePosixPath(name).name)

        made_once(target, make, by=by)
        return sum(1 for path in target.rglob("*") if path.is_file())
