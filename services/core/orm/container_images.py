"""Container images that people upload as ``docker save`` tarballs, and what became of each."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..status import UploadStatus
from .algorithms import Algorithm
from .base import Base, utcnow
from .challenges import Phase

# Where a build's context lies in the data directory: a build record's tarball_path starts so.
BUILDS_FOLDER = "builds/"


class ContainerImage(Base):
    """A tarball uploaded for an algorithm or for a phase's evaluation method (exactly one). Once
    checked and loaded, ``digest`` is the image ID and becomes the algorithm's or phase's image;
    the tarball stays in the data directory so that other worker nodes can load it too, and with a
    registry it is pushed there and pulled by digest (``registry_reference``)."""

    __tablename__ = "container_images"
    __table_args__ = (CheckConstraint("(algorithm_id IS NULL) <> (phase_id IS NULL)", name="algorithm_or_phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    algorithm_id: Mapped[int | None] = mapped_column(ForeignKey("algorithms.id", ondelete="CASCADE"), index=True)
    algorithm: Mapped[Algorithm | None] = relationship()
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), index=True)
    phase: Mapped[Phase | None] = relationship()
    tarball_path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[UploadStatus] = mapped_column(default=UploadStatus.PENDING)
    error_message: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str | None] = mapped_column(String(128), index=True)
    # repo@sha256:… in the cluster's registry (GC_REGISTRY), where nodes that lack it pull it from
    registry_reference: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
