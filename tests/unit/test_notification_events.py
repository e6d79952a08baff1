"""The events themselves on a real database: who is told what, once; the mails' waits."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from test_orm import engine, named, session  # noqa: F401 (fixtures)

from services.core import orm
from services.core.events import phases_soon, run_ended
from services.core.orm import ChallengeRole, JobStatus, Notification, advance, grant
from services.tasks.mail import retry_wait
from services.tasks.rank_changes import tell_rank_changes


def notices(db, username):
    return db.scalars(select(Notification).filter_by(username=username).order_by(Notification.id)).all()


def test_a_job_of_mine_that_ended_tells_me_and_a_job_of_a_submission_does_not(session):  # noqa: F811
    algorithm = named(orm.Algorithm, "otsu")
    job = orm.AlgorithmJob(algorithm=algorithm, creator="ann")
    part = orm.AlgorithmJob(algorithm=algorithm, creator="ann", submission_id=None)
    session.add_all([job, part])
    session.flush()
    for run in (job, part):
        for status in (JobStatus.PROVISIONING, JobStatus.EXECUTING):
            advance(run, status)
    advance(job, JobStatus.SUCCEEDED)
    run_ended(session, job)
    part.error_message = "the container exited with code 2; the end of its stderr says why"
    advance(part, JobStatus.FAILED)
    run_ended(session, part)
    [succeeded, failed] = notices(session, "ann")
    assert succeeded.kind == "job-ended" and succeeded.subject == f"Your job {job.id} of algorithm 'The otsu' succeeded"
    assert failed.message == "The job failed: the container exited with code 2; the end of its stderr says why"
    assert succeeded.url == f"/services/challenges/api/v1/algorithm-jobs/{job.id}"


def test_a_phase_closing_soon_is_told_once_to_its_admins_and_participants(session):  # noqa: F811
    now = datetime(2030, 1, 31, 12, 0, tzinfo=UTC)
    challenge = named(orm.Challenge, "lungs")
    session.add(challenge)
    session.flush()
    closing = orm.Phase(challenge=challenge, slug="final", title="Final", closes_at=now + timedelta(hours=5))
    later = orm.Phase(challenge=challenge, slug="later", title="Later", closes_at=now + timedelta(days=3))
    session.add_all([closing, later])
    grant(session, challenge, "ann", ChallengeRole.ADMIN)
    grant(session, challenge, "bob", ChallengeRole.PARTICIPANT)
    session.flush()
    assert len(phases_soon(session, now)) == 2
    assert phases_soon(session, now + timedelta(minutes=10)) == []  # the next pass: told already
    [told] = notices(session, "bob")
    assert (told.kind, told.subject) == (
        "phase-closing",
        "Phase 'Final' of challenge 'The lungs' closes in about 5 hour(s)",
    )
    assert told.message == "It closes at Thu 31 Jan 2030, 17:00 UTC."
    closing.closes_at = now + timedelta(hours=20)  # moved: told again of the new time
    assert len(phases_soon(session, now)) == 2


def test_a_mail_waits_longer_after_each_failure_up_to_a_ceiling():
    assert [retry_wait(n, 600) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 320, 600, 600]


def evaluated(db, phase, creator, score):
    submission = orm.Submission(phase=phase, creator=creator, predictions_path=f"predictions/{creator}.zip")
    evaluation = orm.Evaluation(submission=submission, metrics={"aggregates": {"score": score}}, published=True)
    for status in (JobStatus.PROVISIONING, JobStatus.EXECUTING, JobStatus.SUCCEEDED):
        advance(evaluation, status)
    db.add(evaluation)
    db.flush()


def test_a_participant_is_told_when_their_rank_moves_and_only_then(session):  # noqa: F811
    challenge = named(orm.Challenge, "lungs")
    phase = orm.Phase(challenge=challenge, slug="final", title="Final")
    session.add(phase)
    session.flush()
    assert tell_rank_changes(session) == []  # nothing ranked yet
    evaluated(session, phase, "ann", 0.5)
    evaluated(session, phase, "bob", 0.9)
    assert tell_rank_changes(session) == []  # ranked for the first time: their evaluations told them
    assert tell_rank_changes(session) == []
    evaluated(session, phase, "ann", 0.95)
    changes = {n.username: n.subject for n in tell_rank_changes(session)}
    assert changes == {
        "ann": "Your rank on the leaderboard of phase 'Final' moved from 2 to 1",
        "bob": "Your rank on the leaderboard of phase 'Final' moved from 1 to 2",
    }
    evaluated(session, phase, "bob", 0.1)  # his best still counts: no rank moved
    assert tell_rank_changes(session) == []
