"""What the workers' periodic pass tells people: phases that open or close within a day, ranks
that moved, and the e-mails that are due (all safe to run again: a reminder is written once per
phase and time, a rank change once per change, a mail queued once per lease)."""

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ..core.events import phases_soon
from .mail import queue_due_mails
from .rank_changes import tell_rank_changes


def remind(resources, now=None):
    """One pass with a worker process's Resources: ``(reminders written, mails queued)``."""
    now = now or datetime.now(UTC)
    with Session(resources.engine) as session:
        written = len(phases_soon(session, now)) + len(tell_rank_changes(session))
        session.commit()
        return written, queue_due_mails(session, resources.queue, now)
