"""The task that checks an algorithm's uploaded model tarball and unpacks it, once, into the folder
named by its checksum (services/unpacking.py: the checks every archive gets); the model then
becomes the algorithm's active one, as on grand-challenge. A tarball that cannot be unpacked
safely fails with the reason and is removed, and the algorithm keeps its active model.

The challenges service hard-links the upload to ``tarball_path`` and enqueues this task after its
commit (services/web/algorithm_models.py): unpacking never runs in a request handler."""

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contract import sha256_of
from ..core.database import make_engine
from ..core.orm import AlgorithmModel, UploadStatus, activate, active_model, advance, model_folder
from ..core.settings import ServiceSettings
from ..core.status import UPLOAD_OPEN
from ..core.units import human_bytes
from ..imaging.limits import ImportLimits
from ..unpacking import CannotUnpack, made_once, unpack

log = logging.getLogger("gc-worker")


def unpack_algorithm_model(*, algorithm_model_id):
    """Check and unpack model ``algorithm_model_id`` (pending) and make it its algorithm's active
    model; or fail it with the reason."""
    settings = ServiceSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return _unpack(session, algorithm_model_id, Path(settings.data_dir))
    finally:
        engine.dispose()


def _unpack(session, algorithm_model_id, data_dir):
    model = session.get(AlgorithmModel, algorithm_model_id)
    if model is None or model.status not in UPLOAD_OPEN:
        log.info("algorithm model %s is not pending; nothing to do", algorithm_model_id)
        return "nothing to do"
    if model.status == UploadStatus.PENDING:  # else an attempt that died began it: begin again
        advance(model, UploadStatus.IMPORTING)
        session.commit()
    tarball = data_dir / model.tarball_path
    try:
        return take_in(session, model, tarball, data_dir)
    except CannotUnpack as problem:
        return refuse(session, model, f"{problem}; {what_stays_active(session, model)}", tarball)
    except Exception as error:
        log.exception("algorithm model %s could not be taken in", model.id)
        session.rollback()
        model = session.get(AlgorithmModel, algorithm_model_id)
        if model.status == UploadStatus.IMPORTING:
            problem = (
                f"the platform could not unpack it ({type(error).__name__}); an admin sees why in the worker's log"
            )
            refuse(session, model, problem, tarball)
        raise


def take_in(session, model, tarball, data_dir):
    """Unpack ``model`` (importing) unless it is a copy of another, then make it the active one."""
    digest = sha256_of(tarball)
    refuse_a_copy(session, model, digest)
    folder = data_dir / model_folder(model.algorithm_id, digest)
    made_once(folder, lambda staging: unpack_model(tarball, model.filename, staging), by=model_maker(model))
    files = [path for path in folder.rglob("*") if path.is_file()]
    model.sha256 = digest
    model.message = f"{len(files)} file(s), {human_bytes(sum(path.stat().st_size for path in files))}"
    advance(model, UploadStatus.SUCCEEDED)
    activate(session, model)
    session.commit()
    log.info("algorithm model %s (%s) is the active model of %s", model.id, digest, model.algorithm.slug)
    return "succeeded"


def model_maker(model):
    """Who makes the model's folder, in the names of what it leaves half made (see made_once)."""
    return f"model-{model.id}"


def unpack_model(tarball, name, folder):
    """Unpack the model's tarball into ``folder``; CannotUnpack if it cannot be, or holds no files."""
    if not unpack(path=tarball, name=name, into=folder, limits=ImportLimits()):
        raise CannotUnpack(f"{name} holds no files; pack the model's files, e.g. tar -czf model.tar.gz -C weights .")


def refuse_a_copy(session, model, digest):
    """CannotUnpack if the algorithm has a model of the same bytes already."""
    same = select(AlgorithmModel.id).where(
        AlgorithmModel.algorithm_id == model.algorithm_id,
        AlgorithmModel.sha256 == digest,
        AlgorithmModel.status == UploadStatus.SUCCEEDED,
    )
    other = session.scalar(same)
    if other is not None:
        raise CannotUnpack(
            f"{model.filename} holds the same bytes as model {other} (sha256 {digest[:12]}…) of this algorithm;"
            f' to use that one again, activate it (PATCH …/models/{other} with {{"is_active": true}})'
        )


def what_stays_active(session, model):
    active = active_model(session, model.algorithm)
    if active is None:
        return f"algorithm {model.algorithm.slug!r} still has no active model"
    return f"the active model of algorithm {model.algorithm.slug!r} stays model {active.id} (sha256 {active.sha256})"


def refuse(session, model, message, tarball):
    model.message = message
    advance(model, UploadStatus.FAILED)
    session.commit()
    tarball.unlink(missing_ok=True)
    log.info("algorithm model %s refused: %s", model.id, message)
    return "refused"
