"""The leaderboard service's API: a phase's ranked results (JSON or CSV) and a challenge's
leaderboard over several phases. Ranks are computed on read (services/ranking.py), never stored;
a ranked leaderboard and the responses made of it are reused while the phases' results are the
same (versioned_cache.py), for each kind of viewer apart (admins see more).

Who sees what follows the challenges service (``ChallengeAccess``): a public phase's leaderboard
to every signed-in user, a participants-only one to participants and the challenge's admins, a
hidden one to its admins only (others get 404, as for a phase that does not exist). Others see
only evaluations that succeeded and are published; admins also see unpublished ones, marked.
Each entry is pinned to what produced it: the algorithm image's digest and its model's checksum,
and the evaluation method's digest and the ground-truth version (for admins; others see a fingerprint of the two,
since a phase's method and ground truth are its admins' alone).
"""

import csv
import hashlib
import io
import json
from collections import namedtuple

from sqlalchemy import Text, cast, select
from tornado import web

from ..api import leaderboard as shapes
from ..core.errors import GcError, PermissionDenied
from ..core.orm import AlgorithmModel, Evaluation, JobStatus, ResultDisplay, ScoringMethod, Submission
from ..core.orm.teams import team_names
from ..ranking import Result, Scoring, bootstrap, combine, rank
from .base import FORMAT_QUERY, PAGE_QUERY, APIHandler, Kept, Query, endpoint
from .challenges import ChallengeAccess
from .versioned_cache import VersionedCache

# Bootstrap figures are computed on read for leaderboards of at most this many ranked entries
# (1,000 resamples of 200 entries take about 50 ms); larger ones leave them out and say so.
BOOTSTRAP_LIMIT = 200
# Ranked leaderboards and responses (pages of entries, JSON or HTML) each process keeps.
BOARDS_KEPT = 16
RESPONSES_KEPT = 128
BOOTSTRAP = {"resamples": 1000, "seed": 0, "confidence": 0.95}
DETAILS = "/services/challenges/challenges/{challenge}/submissions/{submission}"
PHASE_QUERY = {
    **PAGE_QUERY,
    **FORMAT_QUERY,
    "display": Query(ResultDisplay, "Admins: which results of each participant to show."),
    "method": Query(ScoringMethod, "Admins: how to rank."),
    "bootstrap": Query(bool, "false leaves out the confidence intervals and rank stability."),
}
COMBINED_QUERY = {**PAGE_QUERY, "phases": Query(str, "The phases' slugs, comma-separated (default: all I may see).")}
BASELINE = "a baseline, shown for comparison"  # why a baseline is not ranked (unless its phase says so)
# What an entry shows of its evaluation beside the metrics (kept with a leaderboard between reads),
# then what ranking reads: a row of ``LeaderboardAccess.results`` holds these, in this order (its
# parts are taken by position, which is much cheaper than by name for every row of a large phase).
SHOWN_COLUMNS = (
    Evaluation.id,
    Evaluation.submission_id,
    Evaluation.published,
    Evaluation.algorithm_digest,
    AlgorithmModel.sha256.label("model_sha256"),
    Evaluation.method_digest,
    Evaluation.ground_truth_version,
    Evaluation.completed_at,
    Submission.comment,
    Submission.method_name,
    Submission.url,
    Submission.is_baseline,
)
# the metrics as their JSON text, read only for results not ranked before (``leaderboard``)
METRICS_TEXT = cast(Evaluation.metrics, Text).label("metrics")
RANKED_COLUMNS = (Submission.creator, Submission.created_at, METRICS_TEXT, Submission.selected)
Shown = namedtuple("Shown", [column.key for column in SHOWN_COLUMNS])
CREATOR, CREATED_AT, METRICS, SELECTED = range(len(SHOWN_COLUMNS), len(SHOWN_COLUMNS) + len(RANKED_COLUMNS))


def fingerprint(method_digest, ground_truth_version):
    """A short name for "evaluated by this method against this ground truth" that reveals neither."""
    if method_digest is None and ground_truth_version is None:
        return None
    text = f"{method_digest or ''}\0{ground_truth_version or ''}"
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


class LeaderboardAccess(ChallengeAccess):
    """Finds the results a caller may see on a phase's leaderboard and ranks them."""

    def scoring(self, challenge, phase, admin):
        """The phase's scoring; its admins may override ``?display=`` and ``?method=``."""
        display = self.get_argument("display", None)
        method = self.get_argument("method", None)
        if (display or method) and not admin:
            raise PermissionDenied(
                f"Only the admins of challenge {challenge.slug!r} may rank its leaderboards differently "
                "(?display=, ?method=)."
            )
        try:
            return Scoring.from_settings(
                score_jsonpath=phase.score_jsonpath,
                score_ascending=phase.score_ascending,
                extra_results_columns=phase.extra_results_columns,
                scoring_method=method or phase.scoring_method,
                # chosen results are picked before ranking (``chosen``), which then ranks them all
                result_display=display
                or (ResultDisplay.ALL if phase.result_display == ResultDisplay.SELECTED else phase.result_display),
            )
        except ValueError as e:
            raise GcError(f"{e}.") from None

    def results(self, phase, admin):
        """``{evaluation id: row}`` of the phase's submissions, each with its latest evaluation
        that succeeded (and, for non-admins, is published), oldest first; each row holds
        SHOWN_COLUMNS, then RANKED_COLUMNS."""
        query = (
            select(*SHOWN_COLUMNS, *RANKED_COLUMNS)
            .join(Submission, Evaluation.submission_id == Submission.id)
            .outerjoin(AlgorithmModel, Submission.algorithm_model_id == AlgorithmModel.id)
            .where(Submission.phase_id == phase.id, Evaluation.status == JobStatus.SUCCEEDED)
            .order_by(Evaluation.id)
        )
        if not admin:
            query = query.where(Evaluation.published.is_(True))
        # columns, not ORM objects: the session's connection answers them without the ORM's work per row
        latest = {row[1]: row for row in self.db.connection().execute(query)}  # later evaluations win
        return {row[0]: row for row in latest.values()}

    def leaderboard(self, phase, admin, scoring):
        """``(board, rows)``: the ranked board and the database rows of its entries by id; the
        same as at the last read while the phase's results version and the scoring are the same."""
        boards = self.platform.setdefault("leaderboards", VersionedCache(BOARDS_KEPT))
        key = (phase.id, admin, scoring)

        def make(earlier):  # read after the phase and its version: never older than it
            rows = self.results(phase, admin)
            if phase.result_display == ResultDisplay.SELECTED and scoring.display == ResultDisplay.ALL:
                rows = chosen(rows)
            unranked = None if phase.rank_baselines else BASELINE
            shown = {i: Shown._make(row[:CREATOR]) for i, row in rows.items()}
            # an evaluation's metrics are written once, when it ends: its id and end time name them
            known = {(r.id, r.version): r.metrics for r in earlier.results} if earlier else {}
            results = []
            for i, row in rows.items():
                version = shown[i].completed_at
                metrics = known[i, version] if (i, version) in known else json.loads(row[METRICS] or "null")
                baseline = unranked if shown[i].is_baseline else None
                results.append(Result(i, row[CREATOR], row[CREATED_AT], metrics, baseline, version))
            board = rank(results, scoring, earlier)
            if board.ranked_count > BOOTSTRAP_LIMIT:  # never bootstrapped: the metrics need not be kept
                board.forget_metrics()
            elif earlier is not None and earlier.ranked_count > BOOTSTRAP_LIMIT:
                return make(None)  # small enough to bootstrap now: the metrics that were dropped are needed
            return board, shown

        # the board of the version before, if kept: only the new results' metrics are read
        earlier = boards.kept(key)
        return boards.get(key, phase.results_version, lambda: make(earlier and earlier[0]))

    def write_leaderboard(self, phases, viewer, make, content_type="application/json", shows=()):
        """Answer ``make()`` (the body), or the same answer made before for this request by a viewer
        who sees the same (``viewer``: whether an admin of the challenge, and who they are where
        the answer names them) while ``phases``' results and what else it ``shows`` are the same;
        304 when the client has it."""
        responses = self.platform.setdefault("leaderboard_responses", VersionedCache(RESPONSES_KEPT))
        key = (self.request.uri, viewer, tuple(phase.id for phase in phases))
        version = (*(phase.results_version for phase in phases), *shows)
        self.write_kept(responses.get(key, version, lambda: Kept.of(make(), content_type)))

    def bootstrap_figures(self, board):
        """Fills the board's intervals and rank stability unless it is too large or ``?bootstrap=false``;
        says what was done."""
        wanted = self.get_argument("bootstrap", "true")
        if wanted not in ("true", "false"):
            raise GcError(f"?bootstrap= must be true or false, not {wanted!r}.")
        info = shapes.Bootstrap(**BOOTSTRAP, computed=False, reason=None)
        if wanted == "false":
            info.reason = "not asked for (?bootstrap=false)"
        elif board.ranked_count > BOOTSTRAP_LIMIT:
            info.reason = f"more than {BOOTSTRAP_LIMIT} ranked entries"
        else:
            if not board.bootstrapped:  # a board read before keeps its figures
                bootstrap(board, **BOOTSTRAP)
            info.computed = True
        return info

    def entry(self, challenge, entry, row, scoring, admin, bootstrapped, teams):
        """One leaderboard entry, pinned to what produced it, with a link to its details."""
        evaluated_with = fingerprint(row.method_digest, row.ground_truth_version)
        pinned = (shapes.PinnedAdmin if admin else shapes.Pinned).from_object(row, evaluated_with=evaluated_with)
        return shapes.LeaderboardEntry(
            rank=entry.rank,
            user=entry.result.user,
            team=teams.get(entry.result.user),
            baseline=row.is_baseline,
            method_name=row.method_name,
            url=row.url,
            comment=row.comment,
            submission=row.submission_id,
            evaluation=row.id,
            created_at=entry.result.created_at,
            completed_at=row.completed_at,
            published=row.published,
            score=entry.values[0],
            score_interval=list(entry.interval) if entry.interval and bootstrapped else None,
            rank_stability=entry.stability if bootstrapped else None,
            rank_score=entry.rank_score,
            columns={c.path: v for c, v in zip(scoring.columns, entry.values, strict=True)},
            column_ranks=entry.column_ranks,
            notes=entry.notes,
            pinned=pinned,
            details=DETAILS.format(challenge=challenge.slug, submission=row.submission_id),
        )

    def phase_leaderboard(self, challenge, phase, admin, paged=True):
        """A phase's leaderboard (one page of it when ``paged``) as ``admin`` or not sees it."""
        scoring = self.scoring(challenge, phase, admin)
        board, rows = self.leaderboard(phase, admin, scoring)
        info = self.bootstrap_figures(board)
        offset, limit = self.window() if paged else (0, len(board))
        entries = board[offset : offset + limit]
        teams = team_names(self.db, challenge)
        return shapes.PhaseLeaderboard(
            challenge=challenge.slug,
            phase=phase.slug,
            title=phase.title,
            admin=admin,
            scoring=shapes.Scoring.of(scoring),
            bootstrap=info,
            count=len(board),
            ranked=board.ranked_count,
            offset=offset,
            limit=limit,
            results=[
                self.entry(challenge, e, rows[e.result.id], scoring, admin, info.computed, teams) for e in entries
            ],
        )

    def combined_phases(self, challenge):
        """The phases of ``?phases=a,b`` (default: every phase I may see)."""
        wanted = [s for s in self.get_argument("phases", "").split(",") if s]
        return [self.phase(challenge, s) for s in dict.fromkeys(wanted)] or list(
            self.db.scalars(self.visible_phases(challenge))
        )

    def combined_leaderboard(self, challenge, phases, admin, paged=True):
        """The leaderboard over ``phases`` as ``admin`` or not sees it."""
        boards = {
            phase.slug: self.leaderboard(phase, admin, self.scoring(challenge, phase, admin))[0] for phase in phases
        }
        rows = combine(boards)
        offset, limit = self.window() if paged else (0, len(rows))
        results = [shapes.CombinedEntry.from_object(row) for row in rows[offset : offset + limit]]
        return shapes.CombinedLeaderboard(
            challenge=challenge.slug, phases=list(boards), count=len(rows), offset=offset, limit=limit, results=results
        )


def chosen(rows):
    """Of ``{evaluation id: row}``, each participant's chosen result, else their most recent;
    baselines (the admins', never chosen) all stay."""
    kept, baselines = {}, {}
    for evaluation_id, row in sorted(rows.items(), key=lambda item: (item[1].created_at, item[0])):
        if row.is_baseline:
            baselines[evaluation_id] = row
        elif row.selected or row.creator not in kept or not kept[row.creator][1].selected:
            kept[row.creator] = (evaluation_id, row)
    return {**baselines, **dict(kept.values())}


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def leaderboard_csv(board):
    """A phase's whole leaderboard (``phase_leaderboard(paged=False)``) as CSV text."""
    document = board.model_dump(mode="json")
    columns = document["scoring"]["columns"]
    pins = ["algorithm_digest", "model_sha256", "evaluated_with"]
    if document["admin"]:
        pins += ["method_digest", "ground_truth_version"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "rank",
            "user",
            "team",
            "baseline",
            "method_name",
            "url",
            "comment",
            "submission",
            "evaluation",
            "created_at",
            "published",
            *(c["title"] for c in columns),
            "score_ci_low",
            "score_ci_high",
            "rank_stability",
            *pins,
            "notes",
        ]
    )
    for entry in document["results"]:
        interval = entry["score_interval"] or (None, None)
        writer.writerow(
            [
                _cell(v)
                for v in (
                    entry["rank"],
                    entry["user"],
                    entry["team"],
                    entry["baseline"],
                    entry["method_name"],
                    entry["url"],
                    entry["comment"],
                    entry["submission"],
                    entry["evaluation"],
                    entry["created_at"],
                    entry["published"],
                    *(entry["columns"][c["path"]] for c in columns),
                    *interval,
                    entry["rank_stability"],
                    *(entry["pinned"][p] for p in pins),
                    "; ".join(entry["notes"]),
                )
            ]
        )
    return out.getvalue()


# --- handlers -----------------------------------------------------------------------------


class LeaderboardHandler(LeaderboardAccess, APIHandler):
    """An API handler about leaderboards."""


class PhaseLeaderboardHandler(LeaderboardHandler):
    """GET: a phase's ranked results, a page at a time (?offset=&limit=); admins may rank
    differently with ?display=all|best|most-recent and ?method=absolute|mean-rank|median-rank;
    ?bootstrap=false leaves out the confidence intervals and rank stability. The phase slug
    followed by .csv (or ?format=csv) gives the whole leaderboard as CSV."""

    @endpoint(returns=shapes.PhaseLeaderboard, file_types=("text/csv",), query=PHASE_QUERY)
    @web.authenticated
    def get(self, slug, phase):
        as_csv = phase.endswith(".csv")
        seen = self.seen_phase(slug, phase.removesuffix(".csv"))
        admin = seen.admin
        fmt = self.get_argument("format", "csv" if as_csv else "json")
        if fmt not in ("json", "csv"):
            raise GcError(f"?format= must be json or csv, not {fmt!r}.")
        if fmt == "json":
            self.write_leaderboard(
                [seen], admin, lambda: self.model_json(self.phase_leaderboard(*self.seen_objects(seen), admin))
            )
            return
        challenge, phase = self.seen_objects(seen)
        document = self.phase_leaderboard(challenge, phase, admin, paged=False)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{slug}-{phase.slug}-leaderboard.csv"')
        self.finish(leaderboard_csv(document))


class CombinedLeaderboardHandler(LeaderboardHandler):
    """GET: users ranked by the mean of their best rank in each of ?phases=a,b (default: every
    phase I may see); users missing a phase come after those ranked in all of them."""

    @endpoint(returns=shapes.CombinedLeaderboard, query=COMBINED_QUERY)
    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        phases, admin = self.combined_phases(challenge), self.is_admin(challenge)
        self.write_leaderboard(
            phases, admin, lambda: self.model_json(self.combined_leaderboard(challenge, phases, admin))
        )


def routes(prefix):
    api = prefix + "api/v1/leaderboards"
    challenge = api + r"/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (challenge, CombinedLeaderboardHandler),
        # a phase slug, or a phase slug and .csv (slugs have no dots)
        (challenge + r"/(?P<phase>[a-z0-9][a-z0-9.-]*)", PhaseLeaderboardHandler),
    ]
