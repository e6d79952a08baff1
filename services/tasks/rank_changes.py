"""Telling participants that their rank changed: the workers' periodic pass ranks each phase
whose results changed since it last looked (its ``results_version``) as its public leaderboard
does (published results, each participant's best), and tells each participant whose rank moved
(``ToldRank`` keeps the rank last told; someone ranked for the first time was told by their
evaluation's own notification)."""

from sqlalchemy import select

from ..core.orm import Evaluation, JobStatus, Phase, Submission, notify
from ..core.orm.notifications import NotificationKind, ToldRank
from ..ranking import BEST, Result, Scoring, rank


def public_ranks(session, phase):
    """``{username: rank}`` of the phase's public leaderboard, each participant's best result."""
    rows = session.execute(
        select(Evaluation.id, Evaluation.submission_id, Submission.creator, Submission.created_at, Evaluation.metrics)
        .join(Submission, Evaluation.submission_id == Submission.id)
        .where(
            Submission.phase_id == phase.id, Evaluation.status == JobStatus.SUCCEEDED, Evaluation.published.is_(True)
        )
        .order_by(Evaluation.id)
    ).all()
    latest = {row.submission_id: row for row in rows}  # each submission's latest evaluation
    scoring = Scoring.from_settings(
        score_jsonpath=phase.score_jsonpath,
        score_ascending=phase.score_ascending,
        extra_results_columns=phase.extra_results_columns,
        scoring_method=phase.scoring_method,
        result_display=BEST,
    )
    board = rank([Result(r.id, r.creator, r.created_at, r.metrics) for r in latest.values()], scoring)
    return {entry.result.user: entry.rank for entry in board if entry.rank is not None}


def tell_rank_changes(session):
    """Look at each phase whose results changed since the last look; tell whose rank moved.
    Returns the notifications made (the caller commits)."""
    looked = dict(session.execute(select(ToldRank.phase_id, ToldRank.results_version).distinct()).all())
    made = []
    for phase in session.scalars(select(Phase)):
        if looked.get(phase.id) == phase.results_version:
            continue
        try:
            ranks = public_ranks(session, phase)
        except ValueError:  # scoring settings that do not rank: the leaderboard says why
            continue
        told = {row.username: row for row in session.scalars(select(ToldRank).filter_by(phase_id=phase.id))}
        nobody = told.pop(NOBODY, None)
        if not ranks:  # nothing ranked: the look is remembered all the same
            ranks_looked(session, phase, nobody)
        for username, now in ranks.items():
            before = told.pop(username, None)
            if before is not None and before.rank != now:
                made += notify(
                    session,
                    NotificationKind.RANK_CHANGED,
                    [username],
                    subject=f"Your rank on the leaderboard of phase {phase.title!r} moved from {before.rank} to {now}",
                    message=f"Challenge {phase.challenge.title!r}.",
                    url=f"/services/leaderboard/leaderboards/{phase.challenge.slug}/{phase.slug}",
                )
            if before is None:
                session.add(
                    ToldRank(phase_id=phase.id, username=username, rank=now, results_version=phase.results_version)
                )
            else:
                before.rank, before.results_version = now, phase.results_version
        for gone in [*told.values(), *([nobody] if nobody is not None and ranks else [])]:
            session.delete(gone)  # no longer ranked (results withdrawn): forgotten
        session.flush()
    return made


NOBODY = ""  # the row that remembers a look at a phase where nobody is ranked


def ranks_looked(session, phase, row):
    if row is None:
        session.add(ToldRank(phase_id=phase.id, username=NOBODY, rank=0, results_version=phase.results_version))
    else:
        row.results_version = phase.results_version
