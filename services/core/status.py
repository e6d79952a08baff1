"""Statuses that only move forward, and the one function that moves them.

Each enum lists its allowed moves in ``__moves__``; a status with no moves is terminal. Nothing
happens on a move but the move itself (and its time stamps): no hooks, no signals, no enqueueing.
"""

from datetime import UTC, datetime
from enum import StrEnum

from .errors import InvalidTransition, noun


class Status(StrEnum):
    """A status whose subclasses declare ``__moves__ = {from: {to, ...}}``."""

    def can_become(self, other):
        return other in type(self).__moves__.get(self, ())

    @property
    def is_terminal(self):
        return not type(self).__moves__.get(self)


class JobStatus(Status):
    """A container run: an algorithm job or an evaluation."""

    QUEUED = "queued"
    PROVISIONING = "provisioning"
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    __moves__ = {
        QUEUED: {PROVISIONING, FAILED, CANCELLED},
        PROVISIONING: {EXECUTING, FAILED, CANCELLED},
        EXECUTING: {SUCCEEDED, FAILED, CANCELLED},
    }


class UploadStatus(Status):
    """An upload session, and each file in it."""

    PENDING = "pending"
    IMPORTING = "importing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    __moves__ = {
        PENDING: {IMPORTING, FAILED, CANCELLED},
        IMPORTING: {SUCCEEDED, FAILED, CANCELLED},
    }


class JoinRequestStatus(Status):
    """A request to take part in a challenge."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    __moves__ = {PENDING: {ACCEPTED, REJECTED}}


class InvitationStatus(Status):
    """An invitation into a team: the invited person accepts or refuses it, or it is withdrawn
    (the team or its inviter left)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    __moves__ = {PENDING: {ACCEPTED, REFUSED, WITHDRAWN}}


# Sets of statuses, each named for what its members have in common.
JOB_ACTIVE = (JobStatus.QUEUED, JobStatus.PROVISIONING, JobStatus.EXECUTING)
"""A run that has not ended: waiting for a worker, or held by one."""
JOB_STARTED = (JobStatus.PROVISIONING, JobStatus.EXECUTING)
"""A run a worker has claimed (its heartbeat says whether that worker is still there)."""
JOB_UNSUCCESSFUL = (JobStatus.FAILED, JobStatus.CANCELLED)
"""A run that ended without a result."""
UPLOAD_OPEN = (UploadStatus.PENDING, UploadStatus.IMPORTING)
"""An upload (session or file) that has not ended: taking files, or importing them."""


def advance(obj, new_status):
    """Move ``obj.status`` forward to ``new_status``, or raise InvalidTransition.

    Rows that have ``started_at`` get it stamped on becoming executing, and rows that have
    ``completed_at`` get it stamped on reaching a terminal status.
    """
    kind = type(obj.status)
    name = f"{noun(obj)} {obj.id}" if obj.id is not None else f"the new {noun(obj)}"
    try:
        new_status = kind(new_status)
    except ValueError:
        choices = ", ".join(kind)
        raise InvalidTransition(f"{new_status!r} is not a status of {name}; choose from {choices}") from None
    if not obj.status.can_become(new_status):
        raise InvalidTransition(f"{name} is {obj.status}; it cannot become {new_status}")
    obj.status = new_status
    now = datetime.now(UTC)
    if new_status == JobStatus.EXECUTING and hasattr(obj, "started_at"):
        obj.started_at = now
    if new_status.is_terminal and hasattr(obj, "completed_at"):
        obj.completed_at = now
    return obj


def retry(run):
    """Queue a container run that was lost with its worker as its next ``attempt``.

    The one move back to QUEUED, and only from PROVISIONING or EXECUTING: (attempt, status) still
    only moves forward. What the lost attempt stamped is cleared."""
    if run.status not in JOB_STARTED:
        raise InvalidTransition(f"{noun(run)} {run.id} is {run.status}; only a running one can be retried")
    run.attempt += 1
    run.status = JobStatus.QUEUED
    run.started_at = run.worker = run.heartbeat_at = None
    return run
