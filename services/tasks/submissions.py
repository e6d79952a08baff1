"""Moving a challenge submission on after one of its runs ended (see services/scheduling.py)."""

import logging

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..core.orm import Submission
from ..scheduling import next_runs
from .resources import resources

log = logging.getLogger("gc-worker")


def continue_submission(submission_id, *, attempts=3):
    """Add and queue what submission ``submission_id`` needs next. Two workers ending two of its
    jobs at once may race: the submission row is locked, and a clash is tried again."""
    engine, queue = resources().engine, resources().queue
    for _ in range(attempts):
        with Session(engine) as session:
            submission = session.get(Submission, submission_id, with_for_update=True)
            if submission is None:
                return []
            runs = next_runs(session, submission)
            try:
                session.commit()
            except (IntegrityError, OperationalError) as clash:
                log.info("submission %s: another worker moved it on at the same time (%s)", submission_id, clash.orig)
                continue
            queue.runs(runs)
            return runs
    return []
