"""The events that people are told of, each in one function called where the change is made,
before its transaction commits (``notify`` adds the rows to the same session): what each person
is told, in words they may see, and where to read more.

A participant is never told what only admins may read: a failed evaluation whose container ran
says only that it failed and whom to ask (its logs read the hidden ground truth).
"""

from datetime import timedelta

from sqlalchemy import select

from .orm import AlgorithmJob, ChallengeRole, Evaluation, JobStatus, Phase, notify, usernames
from .orm.notifications import NotificationKind
from .status import JoinRequestStatus, UploadStatus

# Where the pages are (the services' prefixes are fixed: /services/<name>/).
CHALLENGE_PAGES = "/services/challenges/challenges/"
ALGORITHM_JOB_API = "/services/challenges/api/v1/algorithm-jobs/"
ARCHIVE_PAGES = "/services/archives/"
NOTIFICATIONS_PAGE = "/services/challenges/notifications"
# How long before a phase opens or closes its people are told.
SOON = timedelta(hours=24)

EVALUATION_FAILURE = (
    "the evaluation failed while it ran; its logs are for the challenge's admins only (it reads the hidden"
    " ground truth): ask them why"
)


def evaluation_message(evaluation, *, admin):
    """The evaluation's failure message for this reader: the worker's own for admins (who see the
    logs it points at) and for a failure before the container ran (the platform's words about
    the submission or the phase); once its container ran, only ``EVALUATION_FAILURE`` for others."""
    if admin or not evaluation.error_message or evaluation.exit_code is None:
        return evaluation.error_message
    return EVALUATION_FAILURE


def run_ended(session, run):
    """Tell whom it concerns that ``run`` (an Evaluation or an AlgorithmJob that just succeeded or
    failed) ended: an evaluation's submitter, a job's creator (a job of a submission is told by
    its evaluation)."""
    if run.status not in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    if isinstance(run, Evaluation):
        submission_evaluated(session, run)
    elif isinstance(run, AlgorithmJob) and run.submission_id is None:
        words = "succeeded" if run.status == JobStatus.SUCCEEDED else f"failed: {run.error_message}"
        notify(
            session,
            NotificationKind.JOB_ENDED,
            [run.creator],
            subject=f"Your job {run.id} of algorithm {run.algorithm.title!r} {run.status}",
            message=f"The job {words}",
            url=f"{ALGORITHM_JOB_API}{run.id}",
        )


def submission_evaluated(session, evaluation):
    """Tell a submission's creator how its evaluation ended, in words a participant may read."""
    submission = evaluation.submission
    phase = submission.phase
    challenge = phase.challenge
    where = f"phase {phase.title!r} of challenge {challenge.title!r}"
    if evaluation.status == JobStatus.SUCCEEDED:
        kind, subject = (
            NotificationKind.SUBMISSION_SUCCEEDED,
            f"Your submission {submission.id} to {where} was evaluated",
        )
        message = (
            "Its results are on the submission's page and on the leaderboard."
            if evaluation.published
            else "Its results will be shown once the challenge's admins publish them."
        )
    else:
        kind, subject = NotificationKind.SUBMISSION_FAILED, f"Your submission {submission.id} to {where} failed"
        admin = submission.creator in usernames(session, challenge, ChallengeRole.ADMIN)
        message = f"Why: {evaluation_message(evaluation, admin=admin)}."
    notify(
        session,
        kind,
        [submission.creator],
        subject=subject,
        message=message,
        url=f"{CHALLENGE_PAGES}{challenge.slug}/submissions/{submission.id}",
    )


def join_requested(session, request):
    """Tell a challenge's admins that someone asks to join it."""
    challenge = request.challenge
    notify(
        session,
        NotificationKind.JOIN_REQUEST,
        usernames(session, challenge, ChallengeRole.ADMIN),
        subject=f"{request.username} asks to join challenge {challenge.title!r}",
        message=request.message,
        url=f"{CHALLENGE_PAGES}{challenge.slug}",
    )


def join_answered(session, request):
    """Tell the one who asked to join a challenge what its admins decided."""
    challenge = request.challenge
    notify(
        session,
        NotificationKind.JOIN_REQUEST_ANSWERED,
        [request.username],
        subject=f"Your request to join challenge {challenge.title!r} was {request.status}",
        message=(
            "You take part now: its phases are open to you."
            if request.status == JoinRequestStatus.ACCEPTED
            else "Its admins decided not to let you take part; ask them why."
        ),
        url=f"{CHALLENGE_PAGES}{challenge.slug}",
    )


def reader_study_assigned(session, study, username):
    """Tell a reader that a reader study was given to them."""
    notify(
        session,
        NotificationKind.READER_STUDY_ASSIGNED,
        [username],
        subject=f"Reader study {study.title!r} was given to you to read",
        message="Open it to read its cases and answer its questions.",
        url=f"{ARCHIVE_PAGES}reader-studies/{study.slug}",
    )


def import_ended(session, upload):
    """Tell an upload's owner that its import ended, and how."""
    what = f" to archive {upload.archive.title!r}" if upload.archive is not None else ""
    ended = "was imported" if upload.status == UploadStatus.SUCCEEDED else "failed"
    notify(
        session,
        NotificationKind.IMPORT_ENDED,
        [upload.owner],
        subject=f"Your upload {upload.id}{what} {ended}",
        message=upload.error_message or "Every file was imported.",
        url=f"{ARCHIVE_PAGES}archives/{upload.archive.slug}" if upload.archive is not None else "",
    )


def phases_soon(session, now):
    """Tell the people of each challenge of a phase that opens or closes within ``SOON``: its
    admins and participants, once per phase and time (a periodic pass may run this often)."""
    made = []
    for field, kind, verb in (
        (Phase.opens_at, NotificationKind.PHASE_OPENING, "opens"),
        (Phase.closes_at, NotificationKind.PHASE_CLOSING, "closes"),
    ):
        soon = session.scalars(select(Phase).where(field > now, field <= now + SOON)).all()
        for phase in soon:
            when = getattr(phase, field.key)
            challenge = phase.challenge
            people = usernames(session, challenge, ChallengeRole.ADMIN) + usernames(
                session, challenge, ChallengeRole.PARTICIPANT
            )
            hours = max(1, round((when - now).total_seconds() / 3600))
            made += notify(
                session,
                kind,
                people,
                subject=f"Phase {phase.title!r} of challenge {challenge.title!r} {verb} in about {hours} hour(s)",
                message=f"It {verb} at {when:%a %-d %b %Y, %H:%M} UTC.",
                url=f"{CHALLENGE_PAGES}{challenge.slug}/phases/{phase.slug}",
                key=f"{kind}:{phase.id}:{when.isoformat()}",
            )
    return made
