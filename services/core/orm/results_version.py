"""A phase's ``results_version``: a new random value whenever what its leaderboard shows may have
changed, set in the same transaction as the change, so that every process of the leaderboard
service knows from the phase's row alone whether a leaderboard it computed before still holds.

It changes when a flush of the ORM's unit of work
- adds, changes or deletes an evaluation that succeeded (or makes one succeed or no longer
  succeed): its status, publication, metrics, completion time or what it was pinned to;
- deletes a submission (its evaluations go with it);
- changes any setting of the phase (scoring, title, visibility, …).

Writes that bypass the unit of work (``insert(Evaluation)`` and other bulk statements) must call
``results_changed`` themselves; running evaluations' heartbeats and claims change nothing shown.
"""

import secrets

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from ..status import JobStatus

# What a leaderboard entry shows of an evaluation (besides its submission's user and time).
SHOWN = ("status", "published", "metrics", "completed_at", "algorithm_digest", "method_digest",
         "ground_truth_version", "submission_id")  # fmt: skip


def new_results_version():
    return secrets.token_hex(8)


def results_changed(session, *phase_ids):
    """Say that the leaderboards of ``phase_ids`` may have changed (a statement in ``session``)."""
    from .challenges import Phase

    session.execute(update(Phase).where(Phase.id.in_(phase_ids)).values(results_version=new_results_version()))


def _shown_and_touched(session, evaluation):
    """Whether the pending changes add, delete or change what a leaderboard shows of ``evaluation``."""
    state = inspect(evaluation)
    touched = evaluation in session.new or evaluation in session.deleted
    if not (touched or any(state.attrs[name].history.has_changes() for name in SHOWN)):
        return False
    return evaluation.status == JobStatus.SUCCEEDED or JobStatus.SUCCEEDED in state.attrs.status.history.deleted


def _phases_changed(session):
    """The phases whose leaderboards the pending changes of ``session`` may change."""
    from .challenges import Evaluation, Phase, Submission

    changed = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Evaluation) and _shown_and_touched(session, obj):
            changed.append(obj.submission.phase)
        elif isinstance(obj, Submission) and obj in session.deleted:
            changed.append(obj.phase)
        elif isinstance(obj, Phase) and obj in session.dirty and session.is_modified(obj, include_collections=False):
            changed.append(obj)
    return changed


@event.listens_for(Session, "before_flush")
def _new_results_versions(session, _context, _instances):
    for phase in _phases_changed(session):
        if phase is not None and phase not in session.deleted:
            phase.results_version = new_results_version()
