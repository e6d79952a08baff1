"""Ranking as a pure function: methods, ties, display modes, missing metrics, combined
leaderboards, bootstrap intervals and rank stability (services/ranking.py)."""

from datetime import datetime, timedelta

import pytest

from services.ranking import (
    ABSOLUTE,
    ALL,
    BEST,
    MEAN_RANK,
    MEDIAN_RANK,
    MOST_RECENT,
    Column,
    Result,
    Scoring,
    bootstrap,
    combine,
    competition_ranks,
    metric_value,
    rank,
)

START = datetime(2026, 1, 1)


def result(id, user, score=None, minutes=None, **aggregates):
    """A result of ``user`` made ``minutes`` (default: ``id``) after START with aggregates."""
    metrics = {"aggregates": {**({"score": score} if score is not None else {}), **aggregates}}
    return Result(id, user, START + timedelta(minutes=id if minutes is None else minutes), metrics)


def ranks_of(board):
    """``[(id, rank), ...]`` in leaderboard order."""
    return [(entry.result.id, entry.rank) for entry in board]


def test_absolute_ranks_by_score_descending_with_shared_ranks():
    results = [result(1, "a", 0.5), result(2, "b", 0.9), result(3, "c", 0.9), result(4, "d", 0.1)]
    assert ranks_of(rank(results, Scoring())) == [(2, 1), (3, 1), (1, 3), (4, 4)]


def test_ascending_score_means_lower_is_better():
    results = [result(1, "a", 3.0), result(2, "b", 1.0), result(3, "c", 2.0)]
    assert ranks_of(rank(results, Scoring(score_ascending=True))) == [(2, 1), (3, 2), (1, 3)]


def test_ties_share_the_best_rank_and_the_next_rank_skips():
    assert competition_ranks([5.0, 1.0, 1.0, 3.0]).tolist() == [[4, 1, 1, 3]]
    assert competition_ranks([2.0, 2.0, 2.0]).tolist() == [[1, 1, 1]]


def _three_columns(method, exclude=False):
    """Score (higher better), dice (higher better), distance (lower better, maybe excluded)."""
    return Scoring(
        "aggregates.score",
        False,
        (
            Column("aggregates.dice", "Dice"),
            Column("aggregates.distance", "HD", ascending=True, exclude_from_ranking=exclude),
        ),
        method,
    )


THREE = [
    result(1, "a", 0.9, dice=0.1, distance=9.0),  # column ranks 1, 3, 3
    result(2, "b", 0.5, dice=0.9, distance=1.0),  # 3, 1, 1
    result(3, "c", 0.7, dice=0.5, distance=5.0),  # 2, 2, 2
]


def test_mean_of_ranks():
    board = rank(THREE, _three_columns(MEAN_RANK))
    assert ranks_of(board) == [(2, 1), (3, 2), (1, 3)]
    assert [e.rank_score for e in board] == [5 / 3, 2.0, 7 / 3]
    assert board[0].column_ranks == {"aggregates.score": 3, "aggregates.dice": 1, "aggregates.distance": 1}


def test_median_of_ranks_with_ties():
    board = rank(THREE, _three_columns(MEDIAN_RANK))
    assert [(e.result.id, e.rank, e.rank_score) for e in board] == [(2, 1, 1.0), (3, 2, 2.0), (1, 3, 3.0)]
    tied = [result(1, "a", 0.9, dice=0.1, distance=1.0), result(2, "b", 0.5, dice=0.9, distance=1.0)]
    assert ranks_of(rank(tied, _three_columns(MEDIAN_RANK))) == [(1, 1), (2, 1)]


def test_columns_excluded_from_ranking_are_shown_not_ranked():
    board = rank(THREE, _three_columns(MEAN_RANK, exclude=True))
    # score and dice only: a (1, 3) = 2, b (3, 1) = 2, c (2, 2) = 2: all tied
    assert ranks_of(board) == [(1, 1), (2, 1), (3, 1)]
    assert board[0].values == [0.9, 0.1, 9.0]
    assert "aggregates.distance" not in board[0].column_ranks


def test_absolute_ignores_extra_columns_even_when_they_are_missing():
    results = [result(1, "a", 0.5, dice=0.2), result(2, "b", 0.6)]
    board = rank(results, _three_columns(ABSOLUTE))
    assert ranks_of(board) == [(2, 1), (1, 2)]
    assert "aggregates.dice is missing" in board[0].notes


def test_missing_and_non_numeric_metrics_are_listed_last_unranked_with_a_note():
    results = [
        result(1, "a", 0.5),
        Result(2, "b", START, {"aggregates": {"score": "high"}}),
        Result(3, "c", START, {"aggregates": {}}),
        Result(4, "d", START, None),
        result(5, "e", True),
        Result(6, "f", START, {"aggregates": {"score": float("nan")}}),
        result(7, "g", 1),  # an integer is a number
    ]
    board = rank(results, Scoring())
    assert ranks_of(board)[:2] == [(7, 1), (1, 2)]
    notes = {entry.result.id: entry.notes for entry in board if entry.rank is None}
    assert notes == {
        2: ['not ranked: aggregates.score is not a number ("high")'],
        3: ["not ranked: aggregates.score is missing"],
        4: ["not ranked: aggregates.score is missing"],
        5: ["not ranked: aggregates.score is not a number (true)"],
        6: ["not ranked: aggregates.score is not a finite number (nan)"],
    }
    assert [e.values for e in board if e.rank is None][0] == [None]


def test_metric_value_follows_lists_by_index():
    assert metric_value({"a": [{"b": 2}]}, "a.0.b") == (2.0, None)
    assert metric_value({"a": [1]}, "a.3") == (None, "a.3 is missing")


def test_each_users_best_result():
    results = [
        result(1, "a", 0.5),
        result(2, "a", 0.8),
        result(3, "b", 0.8),
        result(4, "b", 0.6),
        result(5, "c", 0.8),  # c's best ties with an earlier one: the earliest is shown
        result(6, "c", 0.8),
        Result(7, "d", START, {"aggregates": {}}),  # d has nothing rankable: shown unranked
    ]
    board = rank(results, Scoring(display=BEST))
    assert ranks_of(board) == [(2, 1), (3, 1), (5, 1), (7, None)]


def test_best_by_mean_of_ranks_reranks_the_kept_results():
    extra = THREE + [result(4, "a", 0.1, dice=0.0, distance=99.0)]
    board = rank(extra, Scoring("aggregates.score", False, _three_columns(MEAN_RANK).extra_columns, MEAN_RANK, BEST))
    assert ranks_of(board) == [(2, 1), (3, 2), (1, 3)]


def test_each_users_most_recent_result_even_when_it_cannot_be_ranked():
    results = [
        result(1, "a", 0.9),
        result(2, "a", 0.1),
        result(3, "b", 0.5),
        Result(4, "b", START + timedelta(hours=1), {"aggregates": {"score": None}}),
    ]
    board = rank(results, Scoring(display=MOST_RECENT))
    assert ranks_of(board) == [(2, 1), (4, None)]
    assert board[1].notes == ["not ranked: aggregates.score is not a number (null)"]


def test_all_results_ordered_by_rank_then_time():
    results = [result(2, "a", 0.5, minutes=10), result(1, "b", 0.5, minutes=20), result(3, "a", 0.7)]
    assert ranks_of(rank(results, Scoring(display=ALL))) == [(3, 1), (2, 2), (1, 2)]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="scoring method must be one of"):
        Scoring(method="best-effort")
    with pytest.raises(ValueError, match="result display must be one of"):
        Scoring(display="top")


def test_scoring_from_phase_settings():
    scoring = Scoring.from_settings(
        score_jsonpath="aggregates.dice.mean",
        score_ascending=False,
        extra_results_columns=[{"path": "aggregates.hd.mean", "ascending": True, "exclude_from_ranking": True}],
        scoring_method="mean-rank",
        result_display="best",
    )
    assert scoring.columns[1] == Column("aggregates.hd.mean", "aggregates.hd.mean", True, True)
    assert scoring.ranked_columns == (0,)


def test_ranking_again_takes_the_values_of_results_ranked_before_from_the_earlier_board():
    scoring = Scoring("aggregates.score", extra_columns=(Column("aggregates.hd", ascending=True),), method=MEAN_RANK)
    first = rank(
        [
            Result(1, "a", START, {"aggregates": {"score": 0.5, "hd": 3}}, version="v1"),
            Result(2, "b", START, {"aggregates": {"score": "high"}}, version="v1"),
            Result(3, "z", START, {"aggregates": {"score": 0.9, "hd": 1}}, "a baseline", version="v1"),
        ],
        scoring,
    )
    # the same three, their metrics not given again (not read), a new result, and result 1 run again
    again = [Result(i, user, START, None, why, "v1") for i, user, why in ((2, "b", None), (3, "z", "a baseline"))]
    board = rank(
        [
            *again,
            Result(1, "a", START, {"aggregates": {"score": 0.1, "hd": 9}}, version="v2"),
            Result(4, "c", START, {"aggregates": {"score": 0.7, "hd": 2}}, version="v1"),
        ],
        scoring,
        earlier=first,
    )
    assert [(e.result.id, e.rank, e.values) for e in board] == [
        (4, 1, [0.7, 2.0]),
        (1, 2, [0.1, 9.0]),
        (2, None, [None, None]),
        (3, None, [0.9, 1.0]),
    ]
    assert board[3].notes == ["not ranked: a baseline"]  # said once, not once more for each ranking
    assert board[2].notes == ['not ranked: aggregates.score is not a number ("high"); aggregates.hd is missing']
    other_columns = Scoring("aggregates.hd", method=MEAN_RANK)  # the earlier board's values are not these
    assert [e.values for e in rank([result(1, "a", hd=4)], other_columns, earlier=first)] == [[4.0]]


def test_empty_leaderboard():
    board = rank([], Scoring(method=MEAN_RANK, display=BEST))
    assert len(board) == 0 and list(board) == []
    assert list(bootstrap(board)) == []


def test_slices_and_negative_indices():
    board = rank([result(i, f"u{i}", i / 10) for i in range(5)], Scoring())
    assert [e.result.id for e in board[1:3]] == [3, 2]
    assert board[-1].result.id == 0
    with pytest.raises(IndexError):
        board[5]


# --- combined ---------------------------------------------------------------------------


def test_combined_ranks_by_mean_rank_and_puts_users_missing_a_phase_after():
    first = rank([result(1, "a", 0.9), result(2, "b", 0.5), result(3, "c", 0.7), result(4, "d", 0.2)], Scoring())
    second = rank([result(5, "a", 0.1), result(6, "b", 0.9), result(7, "e", 0.95)], Scoring())
    rows = combine({"first": first, "second": second})
    assert [(r.user, r.rank, r.mean_rank, r.phase_ranks) for r in rows] == [
        ("a", 1, 2.0, {"first": 1, "second": 3}),
        ("b", 2, 2.5, {"first": 3, "second": 2}),
        ("e", 3, 1.0, {"first": None, "second": 1}),
        ("c", 4, 2.0, {"first": 2, "second": None}),
        ("d", 5, 4.0, {"first": 4, "second": None}),
    ]
    assert rows[2].notes == ["no ranked result in phase first"]


def test_combined_ties_share_a_rank():
    first = rank([result(1, "a", 0.9), result(2, "b", 0.5)], Scoring())
    second = rank([result(3, "a", 0.5), result(4, "b", 0.9)], Scoring())
    assert [(r.user, r.rank) for r in combine({"first": first, "second": second})] == [("a", 1), ("b", 1)]


def test_combined_uses_each_users_best_rank_and_lists_unranked_users_last():
    first = rank([result(1, "a", 0.9), result(2, "a", 0.1), result(3, "b", 0.5), Result(4, "z", START, {})], Scoring())
    rows = combine({"first": first})
    assert [(r.user, r.rank, r.phase_ranks["first"]) for r in rows] == [("a", 1, 1), ("b", 2, 2), ("z", None, None)]
    assert rows[-1].notes[0] == "not ranked: no ranked result in any phase"


# --- bootstrap --------------------------------------------------------------------------


def case_result(id, user, dice_per_case):
    cases = {f"case-{i}": {"dice": d} for i, d in enumerate(dice_per_case)}
    mean = sum(dice_per_case) / len(dice_per_case)
    return Result(id, user, START + timedelta(minutes=id), {"case": cases, "aggregates": {"dice": {"mean": mean}}})


CASES = [
    case_result(1, "strong", [0.9, 0.92, 0.88, 0.91, 0.95, 0.9, 0.93, 0.89]),
    case_result(2, "close-a", [0.6, 0.7, 0.5, 0.8, 0.65, 0.7, 0.55, 0.75]),
    case_result(3, "close-b", [0.7, 0.6, 0.6, 0.7, 0.6, 0.72, 0.6, 0.7]),
]
DICE = Scoring("aggregates.dice.mean")


def test_bootstrap_interval_contains_the_score_and_is_reproducible_with_the_seed():
    board = bootstrap(rank(CASES, DICE), resamples=500, seed=7)
    again = bootstrap(rank(CASES, DICE), resamples=500, seed=7)
    for entry, same in zip(board, again, strict=True):
        low, high = entry.interval
        assert low <= entry.values[0] <= high and low < high
        assert (entry.interval, entry.stability) == (same.interval, same.stability)
    other_seed = bootstrap(rank(CASES, DICE), resamples=500, seed=8)
    assert [e.interval for e in other_seed] != [e.interval for e in board]


def test_rank_stability_is_high_for_a_clear_winner_and_lower_for_close_entries():
    board = bootstrap(rank(CASES, DICE), resamples=500, seed=0)
    stability = {entry.result.user: entry.stability for entry in board}
    assert stability["strong"] == 1.0
    assert 0 < stability["close-a"] < 1 and 0 < stability["close-b"] < 1


def test_median_statistic_and_mean_rank_method_are_bootstrapped_too():
    scoring = Scoring("aggregates.dice.median", extra_columns=(Column("aggregates.dice.mean"),), method=MEAN_RANK)
    results = [
        Result(
            r.id,
            r.user,
            r.created_at,
            {
                **r.metrics,
                "aggregates": {
                    "dice": {
                        "mean": r.metrics["aggregates"]["dice"]["mean"],
                        "median": sorted(c["dice"] for c in r.metrics["case"].values())[4],
                    }
                },
            },
        )
        for r in CASES
    ]
    board = bootstrap(rank(results, scoring), resamples=200, seed=1)
    assert all(e.interval is not None and e.stability is not None for e in board)
    assert board[0].result.user == "strong" and board[0].stability == 1.0


def test_no_interval_without_per_case_values():
    board = bootstrap(rank([result(1, "a", 0.5), result(2, "b", 0.7)], Scoring()), resamples=50)
    assert [(e.interval, e.stability) for e in board] == [(None, None), (None, None)]
    mixed = [*CASES, Result(9, "no-cases", START, {"aggregates": {"dice": {"mean": 0.1}}})]
    by_user = {e.result.user: e for e in bootstrap(rank(mixed, DICE), resamples=50)}
    assert by_user["no-cases"].interval is None and by_user["strong"].interval is not None


def test_unranked_entries_get_no_interval():
    mixed = [*CASES, Result(9, "broken", START, {"case": {"case-0": {"dice": 1.0}}, "aggregates": {}})]
    board = bootstrap(rank(mixed, DICE), resamples=50)
    assert (board[-1].rank, board[-1].interval, board[-1].stability) == (None, None, None)
