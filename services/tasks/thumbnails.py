"""Thumbnails of images stored before the importer drew them: ``draw_thumbnail(image_id=…)``,
queued by the thumbnail endpoint the first time someone asks for one that is missing.

The image is parsed only inside the sandboxed importer (``imaging.sandbox``), as at its import:
a copy of its stored file, alone in a scratch folder, is imported again there; of what comes back
only the checked PNG thumbnail is kept, beside the stored file. Safe to run twice, and while the
image is removed (``imaging.store.remove_stored``): no thumbnail outlives its image.
"""

import logging
import os
import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from ..core.database import make_engine
from ..core.orm import Image
from ..core.settings import ServiceSettings
from ..imaging.conversion import Upload
from ..imaging.sandbox import import_in_sandbox

log = logging.getLogger("gc-import")


def draw_thumbnail(*, image_id):
    """Draw the missing thumbnail of image ``image_id`` (nothing if it has one, or no file)."""
    settings = ServiceSettings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            image = db.get(Image, image_id)
            relative = image.path if image is not None else None
    finally:
        engine.dispose()
    if relative is None:
        return
    data_dir = Path(settings.data_dir)
    stored = data_dir / relative
    if stored.with_suffix(".png").exists() or not stored.is_file():
        return
    work = data_dir / "imports" / f"thumbnail-{image_id}"
    shutil.rmtree(work, ignore_errors=True)  # what an earlier attempt left
    try:
        (work / "input").mkdir(parents=True)
        copy = work / "input" / stored.name
        try:
            shutil.copyfile(stored, copy)
        except FileNotFoundError:
            log.info("image %s: removed before its thumbnail was drawn", image_id)
            return
        (outcome,) = import_in_sandbox(
            [Upload(str(copy), stored.name, 0)], folder=work / "input", data_dir=work / "store", label="draw"
        )
        drawn = work / "store" / outcome.image.path if outcome.image else None
        if drawn is None or not drawn.with_suffix(".png").is_file():
            log.warning("image %s: no thumbnail drawn (%s)", image_id, outcome.message or "the importer made none")
            return
        keep_drawn(drawn.with_suffix(".png"), stored, image_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def keep_drawn(drawn, stored, image_id):
    """Put the thumbnail ``drawn`` beside the image file ``stored``, unless that was removed
    meanwhile: it is checked after the thumbnail is in place, so that whichever of the remover
    and this task comes last takes the thumbnail away."""
    target = stored.with_suffix(".png")
    partial = target.with_suffix(".png.partial")
    shutil.copyfile(drawn, partial)  # checked as a small PNG by the import
    os.replace(partial, target)
    if stored.is_file():
        log.info("image %s: thumbnail drawn", image_id)
    else:
        target.unlink(missing_ok=True)
        log.info("image %s: removed while its thumbnail was drawn; none kept", image_id)
