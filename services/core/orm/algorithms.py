"""Algorithms (container images with typed inputs and outputs) and their jobs."""

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .archives import ArchiveItem
from .base import Base, Named, children, grand_challenge_pk, link_table, parent_key
from .interfaces import AlgorithmInterface, union
from .runs import ContainerRun, Limits
from .sockets import SocketValue

if TYPE_CHECKING:  # it imports this module
    from .algorithm_models import AlgorithmModel

algorithm_interfaces = link_table("algorithm_algorithm_interfaces", "algorithms", "algorithm_interfaces")
algorithm_job_inputs = link_table("algorithm_job_inputs", "algorithm_jobs", "socket_values")
algorithm_job_outputs = link_table("algorithm_job_outputs", "algorithm_jobs", "socket_values")


class Algorithm(Named, Limits, Base):
    """A container image (``container_image`` names it, ``container_digest`` pins it) that reads
    the input sockets of one of its interfaces and writes that interface's output sockets; the
    limits apply to its jobs."""

    __tablename__ = "algorithms"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_image: Mapped[str | None] = mapped_column(String(512))
    container_digest: Mapped[str | None] = mapped_column(String(128))
    interfaces: Mapped[list[AlgorithmInterface]] = relationship(
        secondary=algorithm_interfaces, order_by=AlgorithmInterface.id
    )
    jobs: Mapped[list["AlgorithmJob"]] = children("AlgorithmJob", "algorithm")
    models: Mapped[list["AlgorithmModel"]] = children("AlgorithmModel", "algorithm")

    @property
    def inputs(self):
        """Every socket any of its interfaces reads."""
        return union(self.interfaces, "inputs")

    @property
    def outputs(self):
        """Every socket any of its interfaces writes."""
        return union(self.interfaces, "outputs")


class AlgorithmJob(ContainerRun, Base):
    """One run of an algorithm on a set of input values (those of its ``interface``), pinned to the
    image digest it ran and the model (if any) it was made with, which it finds read-only at
    /opt/ml/model/. ``pk`` names it to containers (``predictions.json``, ``/input/<pk>/``), a UUID as
    on grand-challenge.

    A job made for a challenge submission names the submission and the case (archive item) of
    the phase's hidden archive it ran on: one job per case and submission."""

    __tablename__ = "algorithm_jobs"
    __table_args__ = (UniqueConstraint("submission_id", "archive_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pk: Mapped[str] = grand_challenge_pk()
    algorithm_id: Mapped[int] = parent_key("algorithms")
    algorithm: Mapped[Algorithm] = relationship(back_populates="jobs")
    interface_id: Mapped[int | None] = mapped_column(ForeignKey("algorithm_interfaces.id", ondelete="RESTRICT"))
    interface: Mapped[AlgorithmInterface | None] = relationship()
    creator: Mapped[str] = mapped_column(String(255), index=True)
    container_digest: Mapped[str | None] = mapped_column(String(128))
    algorithm_model_id: Mapped[int | None] = mapped_column(ForeignKey("algorithm_models.id"), index=True)
    algorithm_model: Mapped["AlgorithmModel | None"] = relationship()
    inputs: Mapped[list[SocketValue]] = relationship(secondary=algorithm_job_inputs)
    outputs: Mapped[list[SocketValue]] = relationship(secondary=algorithm_job_outputs)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    archive_item_id: Mapped[int | None] = mapped_column(ForeignKey("archive_items.id", ondelete="SET NULL"))
    archive_item: Mapped[ArchiveItem | None] = relationship()
