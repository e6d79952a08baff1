"""An algorithm's models, as on grand-challenge: tarballs of weights uploaded apart from its image,
so that its editors swap weights without uploading the image again.

A worker checks and unpacks each once, into a folder of the data directory named by its checksum;
the one active model of an algorithm is mounted read-only at ``/opt/ml/model/`` in its jobs. A
job, and a submission, keep the model they were made with (``algorithm_model_id``), so a model
that they used is never deleted.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, select, text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import Conflict
from ..status import UploadStatus
from .algorithms import Algorithm
from .base import Base, parent_key, utcnow

MODELS_FOLDER = "algorithm-models"


class AlgorithmModel(Base):
    """A model tarball (kept at ``tarball_path`` in the data directory) of an algorithm; once
    unpacked, ``sha256`` names it and its folder, and ``message`` says what it holds (or why it
    was refused). At most one model of an algorithm ``is_active`` (a partial unique index)."""

    __tablename__ = "algorithm_models"
    __table_args__ = (
        Index(
            "ix_algorithm_models_one_active",
            "algorithm_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    algorithm_id: Mapped[int] = parent_key("algorithms")
    algorithm: Mapped[Algorithm] = relationship(back_populates="models")
    filename: Mapped[str] = mapped_column(String(1024))
    tarball_path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[UploadStatus] = mapped_column(default=UploadStatus.PENDING)
    message: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    @property
    def folder(self):
        """Where its files lie unpacked, relative to the data directory (None until it is)."""
        return model_folder(self.algorithm_id, self.sha256) if self.status == UploadStatus.SUCCEEDED else None


def model_folder(algorithm_id, sha256):
    """The folder of an algorithm's model files with checksum ``sha256``, in the data directory."""
    return f"{MODELS_FOLDER}/{algorithm_id}/{sha256}"


def active_model(session, algorithm):
    """The active model of ``algorithm``, or None."""
    return session.scalar(select(AlgorithmModel).filter_by(algorithm_id=algorithm.id, is_active=True))


def activate(session, model):
    """Make ``model`` its algorithm's active model (and no other); Conflict unless it was unpacked."""
    if model.status != UploadStatus.SUCCEEDED:
        raise Conflict(
            f"Model {model.id} of algorithm {model.algorithm.slug!r} is {model.status}: only a model that was"
            " checked and unpacked can be active; upload it again if it failed."
        )
    session.execute(select(Algorithm.id).filter_by(id=model.algorithm_id).with_for_update())  # one at a time
    others = (AlgorithmModel.algorithm_id == model.algorithm_id) & (AlgorithmModel.id != model.id)
    session.execute(update(AlgorithmModel).where(others).values(is_active=False))
    model.is_active = True
    session.flush()
    return model
