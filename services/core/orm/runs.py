"""What algorithm jobs and evaluations share: container limits, status, exit code, log tails."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..status import JobStatus
from .base import utcnow


class Limits:
    """What a container may use: CPUs, memory (MiB, swap included), wall-clock seconds, a GPU."""

    cpu_limit: Mapped[float] = mapped_column(default=2.0)
    memory_limit_mb: Mapped[int] = mapped_column(default=4096)
    time_limit_s: Mapped[int] = mapped_column(default=3600)
    gpu: Mapped[bool] = mapped_column(default=False)


class ContainerRun(Limits):
    """One run of a container, with the limits applied to it; ``advance`` moves its status and
    stamps ``started_at`` and ``completed_at``.

    While a worker runs it, ``worker`` names that worker and ``heartbeat_at`` is renewed every few
    seconds; a run whose heartbeat stops was lost with its worker and is tried again
    (``attempt``) or failed by the reconciler."""

    status: Mapped[JobStatus] = mapped_column(default=JobStatus.QUEUED, index=True)
    exit_code: Mapped[int | None]
    stdout_tail: Mapped[str] = mapped_column(Text, default="")
    stderr_tail: Mapped[str] = mapped_column(Text, default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    attempt: Mapped[int] = mapped_column(default=1)
    worker: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
