"""Leaderboard ranking as pure functions: no database, no web, computed on every read.

``rank`` takes a phase's results (``Result``: id, user, time, metrics.json) and its scoring
settings (``Scoring``) and returns ranked ``Entry``s:

- a score from a dotted path into the metrics (``aggregates.dice.mean``) plus extra columns, each
  ascending (lower is better) or descending, and optionally excluded from ranking;
- methods: ``absolute`` (by the score), ``mean-rank`` and ``median-rank`` (by the mean or median
  of the entry's ranks on the score and every extra column not excluded from ranking);
- ties share a rank, and the next rank skips (1, 1, 3);
- which results count: ``all``, each user's ``best``, or each user's ``most-recent``;
- a result whose ranked metrics are missing or not numbers is listed last, unranked, with a note
  naming the path and what is wrong.

``bootstrap`` adds 95 % confidence intervals of each entry's score over its per-case metrics
and how often each entry keeps its rank when the cases are resampled. ``combine`` ranks users
over several phases by the mean of their ranks.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np

ABSOLUTE, MEAN_RANK, MEDIAN_RANK = "absolute", "mean-rank", "median-rank"
METHODS = (ABSOLUTE, MEAN_RANK, MEDIAN_RANK)
ALL, BEST, MOST_RECENT = "all", "best", "most-recent"
DISPLAYS = (ALL, BEST, MOST_RECENT)


@dataclass(frozen=True, slots=True)
class Column:
    """A metric shown on the leaderboard: where it is in metrics.json and which way is better."""

    path: str
    title: str = ""
    ascending: bool = False  # True: lower values are better
    exclude_from_ranking: bool = False


@dataclass(frozen=True, slots=True)
class Scoring:
    """A phase's scoring settings (the leaderboard service reads them from the phase)."""

    score_path: str = "aggregates.score"
    score_ascending: bool = False
    extra_columns: tuple[Column, ...] = ()
    method: str = ABSOLUTE
    display: str = ALL

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"scoring method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.display not in DISPLAYS:
            raise ValueError(f"result display must be one of {', '.join(DISPLAYS)}, not {self.display!r}")

    @classmethod
    def from_settings(cls, *, score_jsonpath, score_ascending, extra_results_columns, scoring_method, result_display):
        """From a phase's settings; each extra column is ``{path, title?, ascending?, exclude_from_ranking?}``."""
        columns = tuple(
            Column(
                path=c["path"],
                title=c.get("title") or c["path"],
                ascending=bool(c.get("ascending", False)),
                exclude_from_ranking=bool(c.get("exclude_from_ranking", False)),
            )
            for c in extra_results_columns or ()
        )
        return cls(score_jsonpath, bool(score_ascending), columns, str(scoring_method), str(result_display))

    @property
    def columns(self):
        """The score column, then the extra columns."""
        return (Column(self.score_path, "Score", self.score_ascending), *self.extra_columns)

    @property
    def ranked_columns(self):
        """Indices into ``columns`` of those the rank is made of: the score alone (absolute), or
        the score and each extra column not excluded from ranking."""
        if self.method == ABSOLUTE:
            return (0,)
        return (0, *(i for i, c in enumerate(self.extra_columns, 1) if not c.exclude_from_ranking))


@dataclass(frozen=True, slots=True)
class Result:
    """One evaluated submission: who made it, when, and its metrics.json."""

    id: Any
    user: str
    created_at: datetime
    metrics: Any
    unranked: str | None = None  # why it is shown but not ranked (a baseline, say); None: ranked
    version: Any = None  # with ``id``, what its metrics are known by: the same both, the same metrics


@dataclass(slots=True)
class Entry:
    """A result's row on the leaderboard.

    ``values`` has one number (or None) per column of ``Scoring.columns``; ``column_ranks`` the
    rank on each ranked column; ``rank_score`` is what the rank orders by (the score, or the
    mean or median of the column ranks); ``rank`` is None for a result that cannot be ranked,
    and ``notes`` say why. ``interval`` and ``stability`` are filled by ``bootstrap``."""

    result: Result
    rank: int | None
    values: list
    column_ranks: dict
    rank_score: float | None
    notes: list = field(default_factory=list)
    interval: tuple | None = None
    stability: float | None = None


# --- reading metrics ----------------------------------------------------------------------


def _lookup(metrics, keys):
    """The value at ``keys`` in nested objects (and lists, by index), or raise LookupError."""
    node = metrics
    for key in keys:
        if isinstance(node, list) and key.isdigit():
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node[key]
        else:
            raise KeyError(key)
    return node


def metric_value(metrics, path):
    """``(number, None)`` for the finite number at dotted ``path``, or ``(None, note)`` saying
    that the path is missing or what it holds instead."""
    try:
        value = _lookup(metrics, path.split("."))
    except (LookupError, TypeError):
        return None, f"{path} is missing"
    if type(value) is float or type(value) is int:
        if math.isfinite(value):
            return float(value), None
        return None, f"{path} is not a finite number ({value})"
    return None, f"{path} is not a number ({json.dumps(value, default=str)[:40]})"


def _fast_column(metrics, path, prefixes):
    """The column's values as floats when every result has a finite number at ``path``; else None.

    Each step down the path is one ``map`` of ``itemgetter`` over all results (no Python call per
    result); ``prefixes`` keeps the steps already taken for other columns (``aggregates``)."""
    keys = path.split(".")
    try:
        found = metrics
        for depth in range(1, len(keys) + 1):
            prefix = ".".join(keys[:depth])
            if prefix not in prefixes:
                prefixes[prefix] = list(map(itemgetter(keys[depth - 1]), found))
            found = prefixes[prefix]
    except (LookupError, TypeError):
        return None
    if not set(map(type, found)) <= {float, int}:  # bools and text are not numbers
        return None
    column = np.array(found, dtype=float)
    return column if np.isfinite(column).all() else None


def _read_columns(results, columns, earlier=None):
    """An n × k float array of the columns' values (NaN where unusable), and each result's notes
    as ``(column index, note)`` (None when it has none). Results that ``earlier`` (a Leaderboard
    of the same columns) has, by id and version, take its values and notes: their metrics are not read again."""
    values = np.full((len(results), len(columns)), np.nan)
    notes = [None] * len(results)
    unread = range(len(results))
    if earlier is not None and earlier.scoring.columns == columns:
        at = {(result.id, result.version): i for i, result in enumerate(earlier.results)}
        found = [at.get((result.id, result.version)) for result in results]
        known = [i for i, j in enumerate(found) if j is not None]
        values[known] = earlier._values[[found[i] for i in known]]
        for i in known:
            notes[i] = earlier.column_notes[found[i]]
        unread = [i for i, j in enumerate(found) if j is None]
    metrics, prefixes = [results[i].metrics for i in unread], {}
    for j, column in enumerate(columns):
        fast = _fast_column(metrics, column.path, prefixes)
        if fast is not None:
            values[unread, j] = fast
            continue
        for i in unread:  # some value is missing or not a number: say which
            number, note = metric_value(results[i].metrics, column.path)
            if note is None:
                values[i, j] = number
            else:
                notes[i] = [*(notes[i] or ()), (j, note)]
    return values, notes


# --- ranks ----------------------------------------------------------------------------------


def competition_ranks(keys):
    """Ranks along the last axis of ``keys`` (smaller is better): ties share the best rank and
    the next skips (1, 1, 3). NaN sorts last."""
    keys = np.atleast_2d(np.asarray(keys, dtype=float))
    order = np.argsort(keys, axis=-1, kind="stable")
    ordered = np.take_along_axis(keys, order, axis=-1)
    positions = np.broadcast_to(np.arange(keys.shape[-1]), keys.shape)
    new_group = np.ones(keys.shape, dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0), axis=-1)
    ranks = np.empty(keys.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, group_start + 1, axis=-1)
    return ranks


def _orient(values, columns, indices):
    """The ranked columns' values, negated where higher is better, so smaller is always better."""
    signs = np.array([1.0 if columns[j].ascending else -1.0 for j in indices])
    return values[..., list(indices)] * signs


def _final_ranks(oriented, method):
    """Column ranks (… × n × k) and, from them, each row's rank score and final rank (… × n)."""
    if oriented.ndim == 2:  # one leaderboard: a leading axis of one
        oriented = oriented[None]
    column_ranks = np.stack([competition_ranks(oriented[..., j]) for j in range(oriented.shape[-1])], axis=-1)
    if method == ABSOLUTE:
        rank_score = oriented[..., 0]
    elif method == MEAN_RANK:
        rank_score = column_ranks.mean(axis=-1)
    else:
        rank_score = np.median(column_ranks, axis=-1)
    return column_ranks, rank_score, competition_ranks(rank_score)


# --- which results count ----------------------------------------------------------------


def _first_per_user(users, order):
    """The first index in ``order`` of each user (``users``: a code per result)."""
    ordered_users = users[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered_users[1:] != ordered_users[:-1]
    return order[first]


def _most_recent(users, created, candidates):
    """Of ``candidates`` (indices), each user's most recent (the later given among equal times)."""
    order = candidates[np.lexsort((-candidates, -created[candidates], users[candidates]))]
    return _first_per_user(users, order)


def _best(users, created, candidates, ranks, everyone):
    """Of ``candidates`` with their ``ranks``, each user's best-ranked one (the earliest among
    equals); users with no candidate keep their most recent result, which is shown unranked."""
    order = candidates[np.lexsort((candidates, created[candidates], ranks, users[candidates]))]
    best = _first_per_user(users, order)
    missing = np.setdiff1d(users[everyone], users[best])
    latest = _most_recent(users, created, everyone)
    return np.sort(np.concatenate([best, latest[np.isin(users[latest], missing)]]))


def rank(results: Sequence[Result], scoring: Scoring, earlier: "Leaderboard | None" = None) -> "Leaderboard":
    """The leaderboard of ``results``: ranked entries by rank (then time, then the order given),
    then the unranked ones, each with a note saying which ranked metric is missing or not a number.

    ``earlier``: a leaderboard ranked before; a result it has (the same id and version) keeps the
    values read from its metrics then, which are not read again, so ranking again after a few new
    results reads only theirs."""
    results = list(results)
    columns = scoring.columns
    ranked_columns = scoring.ranked_columns
    values, column_notes = _read_columns(results, columns, earlier)
    notes = list(column_notes)
    rankable = ~np.isnan(values[:, list(ranked_columns)]).any(axis=1)
    for index, result in enumerate(results):
        if result.unranked:
            rankable[index] = False
            notes[index] = [(0, result.unranked), *(notes[index] or ())]

    created = np.fromiter((r.created_at.timestamp() for r in results), dtype=float, count=len(results))
    indices = np.arange(len(results))
    if scoring.display != ALL:
        codes: dict[str, int] = {}
        users = np.fromiter((codes.setdefault(r.user, len(codes)) for r in results), dtype=np.int64, count=len(results))
        if scoring.display == MOST_RECENT:
            indices = np.sort(_most_recent(users, created, indices))
        else:
            candidates = indices[rankable]
            _, _, first_ranks = _final_ranks(_orient(values[candidates], columns, ranked_columns), scoring.method)
            indices = _best(users, created, candidates, first_ranks[0], indices)

    ranked = indices[rankable[indices]]
    column_ranks, rank_score, final = _final_ranks(_orient(values[ranked], columns, ranked_columns), scoring.method)
    column_ranks, rank_score, final = column_ranks[0], rank_score[0], final[0]
    if scoring.method == ABSOLUTE:
        rank_score = values[ranked, 0]
    order = np.lexsort((ranked, created[ranked], final))
    unranked = indices[~rankable[indices]]
    unranked = unranked[np.lexsort((unranked, created[unranked]))]
    return Leaderboard(
        scoring,
        results,
        values,
        notes,
        column_notes,
        rows=np.concatenate([ranked[order], unranked]).astype(np.int64),
        ranks=final[order],
        rank_scores=rank_score[order],
        column_ranks=column_ranks[order],
    )


class Leaderboard(Sequence):
    """The outcome of ``rank``: a sequence of ``Entry``s, ranked ones first.

    The ranks are computed for every result at once, as arrays; an ``Entry`` is made only when
    it is read (``board[0]``, ``board[100:200]``, iteration), so a page of a large leaderboard
    costs a page's worth of objects."""

    def __init__(self, scoring, results, values, notes, column_notes, *, rows, ranks, rank_scores, column_ranks):
        self.scoring = scoring
        self.results = results
        self._values, self._notes = values, notes
        self.column_notes = column_notes  # the notes on the results' metrics alone (not why one is unranked)
        self.rows = rows  # result index of each position
        self.ranks = ranks  # rank of each ranked position (the first len(ranks) positions)
        self._rank_scores, self._column_ranks = rank_scores, column_ranks
        self.intervals = np.full((len(ranks), 2), np.nan)  # filled by ``bootstrap``
        self.stability = np.full(len(ranks), np.nan)
        self.bootstrapped = False

    def forget_metrics(self):
        """Drops the results' metrics, which only ``bootstrap`` reads again: a board kept
        between reads then holds its arrays, not every result's metrics.json."""
        self.results = [Result(r.id, r.user, r.created_at, None, r.unranked, r.version) for r in self.results]

    @property
    def ranked_count(self):
        return len(self.ranks)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._entry(position) for position in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._entry(index)

    def best_ranks(self):
        """``{user: best rank}`` of the users with a ranked entry."""
        best = {}
        for i, rank in zip(self.rows[: self.ranked_count].tolist(), self.ranks.tolist(), strict=True):
            user = self.results[i].user
            if user not in best:  # ranked positions come best first
                best[user] = rank
        return best

    def users(self):
        return {self.results[i].user for i in self.rows.tolist()}

    def _entry(self, position):
        i = int(self.rows[position])
        columns, ranked_columns = self.scoring.columns, self.scoring.ranked_columns
        values = [None if v != v else v for v in self._values[i].tolist()]
        notes = self._notes[i] or ()
        if position < self.ranked_count:
            by_column = dict(
                zip((columns[j].path for j in ranked_columns), self._column_ranks[position].tolist(), strict=True)
            )
            low, high = self.intervals[position].tolist()
            stability = float(self.stability[position])
            return Entry(
                self.results[i],
                int(self.ranks[position]),
                values,
                by_column,
                float(self._rank_scores[position]),
                [note for _, note in notes],
                None if low != low else (low, high),
                None if stability != stability else stability,
            )
        why = "; ".join(note for j, note in notes if j in ranked_columns)
        others = [note for j, note in notes if j not in ranked_columns]
        return Entry(self.results[i], None, values, {}, None, [f"not ranked: {why}", *others])


# --- bootstrap: confidence intervals and rank stability -------------------------------------

STATISTICS = {
    "mean": np.nanmean,
    "median": np.nanmedian,
    "min": np.nanmin,
    "max": np.nanmax,
    "std": np.nanstd,
}


def per_case_metric(path):
    """``(metric, statistic)`` when ``path`` is ``aggregates.<metric>.<statistic>`` with a
    statistic that can be recomputed from per-case values; else None."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "aggregates" and parts[2] in STATISTICS:
        return parts[1], parts[2]
    return None


def _per_case(metrics):
    """``metrics["case"]`` when it is an object, else {}."""
    per_case = metrics.get("case") if isinstance(metrics, dict) else None
    return per_case if isinstance(per_case, dict) else {}


def _case_table(results, cases, metric):
    """``metrics["case"][<case>][metric]`` of each result for each of ``cases`` ({name: column}):
    an n × cases array, NaN where a value is missing or not a finite number."""
    table = np.full((len(results), len(cases)), np.nan)
    for i, result in enumerate(results):
        for case, case_metrics in _per_case(result.metrics).items():
            value = case_metrics.get(metric) if isinstance(case_metrics, dict) else None
            if type(value) in (int, float) and math.isfinite(value):
                table[i, cases[case]] = value
    return table


def _resampled(table, statistic, samples):
    """The statistic of each row of ``table`` for each resample of its columns: resamples × n."""
    if statistic == "mean":  # resampling as case weights: one matrix product
        weights = np.zeros((samples.shape[0], table.shape[1]))
        np.add.at(weights, (np.arange(samples.shape[0])[:, None], samples), 1.0)
        present = ~np.isnan(table)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (weights @ np.where(present, table, 0.0).T) / (weights @ present.T)
    function = STATISTICS[statistic]
    out = np.empty((samples.shape[0], table.shape[0]))
    with np.errstate(invalid="ignore"), _quiet_all_nan():
        for b, sample in enumerate(samples):
            out[b] = function(table[:, sample], axis=1)
    return out


class _quiet_all_nan:
    """Silences numpy's 'All-NaN slice' warning: a NaN result is the answer there."""

    def __enter__(self):
        import warnings

        self._catcher = warnings.catch_warnings()
        self._catcher.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._catcher.__exit__(*exc)


def bootstrap(board: Leaderboard, *, resamples=1000, seed=0, confidence=0.95):
    """Fills the confidence intervals and rank stability of the ranked entries of ``board``.

    The cases are resampled with replacement, the same cases for every entry (a paired
    bootstrap, ``resamples`` times, from ``seed``: the same results give the same figures). Each
    ranked column whose path is ``aggregates.<metric>.<statistic>`` is recomputed from
    ``metrics["case"][*][<metric>]``; other columns keep their values. An entry's ``interval``
    is the ``confidence`` percentile interval of its score (None without per-case values); its
    ``stability`` is the fraction of resamples in which it keeps its rank (None when no ranked
    column has per-case values). Returns ``board``."""
    scoring, columns = board.scoring, board.scoring.columns
    board.bootstrapped = True  # even where there is nothing to resample
    ranked = [board.results[i] for i in board.rows[: board.ranked_count].tolist()]
    if not ranked:
        return board
    cases: dict[str, int] = {}
    for result in ranked:
        for case in _per_case(result.metrics):
            cases.setdefault(case, len(cases))
    tables = {}
    for j in sorted(set(scoring.ranked_columns) | {0}):
        found = per_case_metric(columns[j].path)
        if found and cases:
            table = _case_table(ranked, cases, found[0])
            if not np.isnan(table).all():
                tables[j] = (table, found[1])
    if not tables:
        return board
    samples = np.random.default_rng(seed).integers(0, len(cases), size=(resamples, len(cases)))
    values = board._values[board.rows[: board.ranked_count]]
    boot = np.broadcast_to(values, (resamples, *values.shape)).copy()
    for j, (table, statistic) in tables.items():
        boot[:, :, j] = _resampled(table, statistic, samples)
    if 0 in tables:
        tail = (1 - confidence) / 2 * 100
        with _quiet_all_nan():
            board.intervals[:] = np.nanpercentile(boot[:, :, 0], [tail, 100 - tail], axis=0).T
        board.intervals[np.isnan(tables[0][0]).all(axis=1)] = np.nan
    if set(tables) & set(scoring.ranked_columns):
        oriented = _orient(boot, columns, scoring.ranked_columns)
        oriented = np.where(np.isnan(oriented), np.inf, oriented)  # no case of the entry drawn: worst
        _, _, boot_ranks = _final_ranks(oriented, scoring.method)
        board.stability[:] = (boot_ranks == board.ranks).mean(axis=0)
    return board


# --- several phases -------------------------------------------------------------------------


@dataclass(slots=True)
class CombinedEntry:
    """A user's row on a leaderboard over several phases."""

    user: str
    rank: int | None
    mean_rank: float | None
    phase_ranks: dict
    notes: list = field(default_factory=list)


def combine(leaderboards: Mapping[str, Leaderboard]) -> list[CombinedEntry]:
    """Ranks users by the mean of their best rank in each phase (``{phase: leaderboard}``).
    Users ranked in every phase come first; those missing phases are ranked after them (fewest
    missing first, then by the mean of the ranks they have); users with no rank anywhere are
    listed last, unranked."""
    best = {phase: board.best_ranks() for phase, board in leaderboards.items()}
    users = set().union(*(board.users() for board in leaderboards.values())) if leaderboards else set()
    rows = []
    for user in users:
        phase_ranks = {phase: best[phase].get(user) for phase in leaderboards}
        have = [r for r in phase_ranks.values() if r is not None]
        notes = [f"no ranked result in phase {phase}" for phase, r in phase_ranks.items() if r is None]
        rows.append(CombinedEntry(user, None, sum(have) / len(have) if have else None, phase_ranks, notes))
    rankable = [row for row in rows if row.mean_rank is not None]
    key = lambda row: (sum(r is None for r in row.phase_ranks.values()), row.mean_rank)  # noqa: E731
    rankable.sort(key=lambda row: (key(row), row.user))
    for position, row in enumerate(rankable):
        tied = position and key(rankable[position - 1]) == key(row)
        row.rank = rankable[position - 1].rank if tied else position + 1
    unranked = sorted((row for row in rows if row.mean_rank is None), key=lambda row: row.user)
    for row in unranked:
        row.notes.insert(0, "not ranked: no ranked result in any phase")
    return rankable + unranked
