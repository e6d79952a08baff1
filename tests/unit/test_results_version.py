"""A phase's results version changes with what its leaderboard shows, in the same transaction,
and with nothing else (a running evaluation's heartbeat, a queued one)."""

from datetime import UTC, datetime

from sqlalchemy import update

from services.core import orm
from services.core.status import JobStatus, advance


def phase_with_submission(session):
    challenge = orm.Challenge(slug="c", title="C", created_by="ann")
    phase = orm.Phase(challenge=challenge, slug="final", title="Final")
    submission = orm.Submission(phase=phase, creator="bob", predictions_path="p.zip")
    session.add_all([challenge, phase, submission])
    session.commit()
    return phase, submission


def version_now(session, phase):
    """The phase's results version as the database has it now, after ``session``'s changes."""
    session.commit()
    session.refresh(phase)
    return phase.results_version


def test_it_changes_when_a_result_succeeds_is_published_changed_or_deleted(session):
    phase, submission = phase_with_submission(session)
    seen = [version_now(session, phase)]
    evaluation = orm.Evaluation(submission=submission)  # queued: shown nowhere yet
    session.add(evaluation)
    assert version_now(session, phase) == seen[-1]
    advance(evaluation, JobStatus.PROVISIONING)
    advance(evaluation, JobStatus.EXECUTING)
    evaluation.stdout_tail = "working"
    session.execute(update(orm.Evaluation).values(heartbeat_at=datetime.now(UTC)))  # as a worker's heartbeat
    assert version_now(session, phase) == seen[-1]
    evaluation.metrics = {"score": 1}
    advance(evaluation, JobStatus.SUCCEEDED)
    seen.append(version_now(session, phase))
    evaluation.published = True
    seen.append(version_now(session, phase))
    evaluation.metrics = {"score": 2}
    seen.append(version_now(session, phase))
    session.add(orm.Evaluation(submission=submission, status=JobStatus.SUCCEEDED))  # added as it is
    seen.append(version_now(session, phase))
    session.delete(evaluation)
    seen.append(version_now(session, phase))
    session.delete(submission)
    seen.append(version_now(session, phase))
    assert len(set(seen)) == len(seen)


def test_it_changes_with_the_phase_settings_and_by_hand_after_a_bulk_write(session):
    phase, _ = phase_with_submission(session)
    before = version_now(session, phase)
    phase.score_ascending = True
    after_settings = version_now(session, phase)
    orm.results_changed(session, phase.id)
    assert len({before, after_settings, version_now(session, phase)}) == 3
    other = orm.Phase(challenge=phase.challenge, slug="other", title="Other")
    session.add(other)
    assert version_now(session, other) not in (before, after_settings)
