"""What the pages say in words: times, metric names, how a leaderboard ranks, metrics as rows,
the phase form's editor of result columns, and the order of the readers' leaderboard."""

from datetime import UTC, datetime, timedelta

import pytest

from services.api.reader_studies import ReaderScore
from services.core.errors import GcError
from services.web.challenge_pages import editor_rows, results_columns
from services.web.pages import (
    case_table,
    column_names,
    from_now,
    in_utc,
    metric_name,
    metric_rows,
    phase_window,
    ranking_sentence,
    sibling,
    value_text,
)
from services.web.reader_studies import ranked

NOW = datetime(2030, 1, 31, 12, 0, tzinfo=UTC)


def test_times_in_words():
    assert from_now(NOW + timedelta(days=3, hours=2), NOW) == "in 3 days"
    assert from_now(NOW - timedelta(hours=1, minutes=5), NOW) == "1 hour ago"
    assert from_now(NOW + timedelta(seconds=20), NOW) == "in less than a minute"
    assert from_now(NOW + timedelta(days=40), NOW) == "in 40 days"
    assert from_now(NOW - timedelta(days=100), NOW) == "3 months ago"
    assert from_now(NOW + timedelta(days=800), NOW) == "in 2 years"
    assert in_utc(NOW) == "Thu 31 Jan 2030, 12:00 UTC"
    assert in_utc("2030-01-31T12:00:00.123456Z") == "Thu 31 Jan 2030, 12:00 UTC"  # no microseconds


def test_a_phase_window_in_a_sentence():
    day = timedelta(days=1)
    assert phase_window(NOW + 2 * day, None, NOW) == "Not open yet: opens in 2 days."
    assert phase_window(NOW - day, NOW + 5 * day, NOW) == "Open now; closes in 5 days."
    assert phase_window(None, NOW - 3 * day, NOW) == "Closed 3 days ago: it takes no more submissions."
    assert phase_window(None, None, NOW) == "Open now, with no closing date."


def test_metric_names_for_people():
    assert metric_name("aggregates.dice.mean") == "Dice"
    assert metric_name("aggregates.volume_difference.median") == "Volume difference (median)"
    assert metric_name("aggregates.score") == "Score"
    assert metric_name("hd95") == "Hd95"


def scoring(method="absolute", *extra):
    score = {"path": "aggregates.dice.mean", "title": "Score", "ascending": False}
    return {"method": method, "columns": [score, *extra]}


VOLUME = {"path": "aggregates.volume_difference.mean", "title": "Volume difference", "ascending": True}
HD = {"path": "aggregates.hd.mean", "ascending": True, "exclude_from_ranking": True}


def test_the_ranking_sentence_says_what_ranks_and_which_way():
    assert ranking_sentence(scoring()) == "Ranked by Dice (higher is better)."
    assert ranking_sentence(scoring("absolute", VOLUME)) == (
        "Ranked by Dice (higher is better); Volume difference is shown, not ranked."
    )
    assert ranking_sentence(scoring("mean-rank", VOLUME, HD)) == (
        "Ranked by the mean of each entry's ranks on Dice (higher is better) and Volume difference (lower is"
        " better); Hd is shown, not ranked."
    )
    assert column_names(scoring("absolute", VOLUME, HD)) == ["Dice", "Volume difference", "Hd"]


def test_metrics_as_rows_of_text():
    metrics = {"dice": {"mean": 0.912345, "std": 0.01}, "score": 0.9, "missing": [], "ok": True}
    assert metric_rows(metrics) == [
        ("Dice", "0.9123"),
        ("Dice (std)", "0.01"),
        ("Score", "0.9"),
        ("Missing", "none"),
        ("Ok", "yes"),
    ]
    assert value_text(None) == "—" and value_text(["a", 2]) == "a, 2"
    names, rows = case_table({"case": {"c1": {"dice": 0.5, "volume_difference": 3}, "c2": {"dice": 1.0}}})
    assert names == ["Dice", "Volume difference"]
    assert rows == [("c1", ["0.5", "3"]), ("c2", ["1", "—"])]
    assert case_table({"case": [1, 2]}) == ([], [])


def test_the_column_editor_rows_and_the_api_columns():
    rows = [
        {"title": "Volume difference", "path": " aggregates.volume_difference.mean ", "order": "lower", "use": "shown"},
        {"title": "", "path": "", "order": "higher", "use": "shown"},  # the empty row to fill in: left out
        {"title": "", "path": "aggregates.hd.mean", "order": "higher", "use": "ranked"},
    ]
    columns = results_columns(rows)
    assert columns == [
        {"path": "aggregates.volume_difference.mean", "ascending": True, "exclude_from_ranking": True,
         "title": "Volume difference"},
        {"path": "aggregates.hd.mean", "ascending": False, "exclude_from_ranking": False},
    ]  # fmt: skip
    assert editor_rows(columns)[0] == {**rows[0], "path": "aggregates.volume_difference.mean"}
    with pytest.raises(GcError, match="Result column 1 \\('Hd'\\) has no path"):
        results_columns([{"title": "Hd", "path": "", "order": "higher", "use": "shown"}])


def test_links_to_another_service_from_the_prefix():
    assert sibling("/services/challenges/", "leaderboard") == "/services/leaderboard/"
    assert sibling("/hub-base/services/archives/", "challenges") == "/hub-base/services/challenges/"


def reader(name, score, answered):
    return ReaderScore(reader=name, score=score, answered=answered, scored=12, per_question={})


def test_readers_who_answered_nothing_come_last():
    readers = [reader("idle", 0.0, 0), reader("wrong", 0.0, 12), reader("good", 0.8, 12), reader("also-idle", 0.0, 0)]
    assert [(rank, r.reader) for rank, r in ranked(readers)] == [
        (1, "good"),
        (2, "wrong"),
        (3, "idle"),
        (3, "also-idle"),
    ]
