"""Migration 0012_reading keeps existing reader studies working, on SQLite and PostgreSQL:
choices become option rows and every answer and ground truth of a choice question the id of
its option; annotation answers get grand-challenge's version; and back again."""

import json

import pytest
from sqlalchemy import text

from services.core import migrations
from services.core.database import make_engine

pytestmark = pytest.mark.stack

ROWS = [
    "INSERT INTO reader_studies (id, slug, title, description, created_by, created_at, educational)"
    " VALUES (1, 's', 'S', '', 'ann', '2026-01-01 00:00:00', false)",
    "INSERT INTO reader_study_cases (id, reader_study_id) VALUES (1, 1)",
    "INSERT INTO questions (id, reader_study_id, position, text, help_text, kind, options, required) VALUES"
    " (1, 1, 0, 'Lobe?', '', 'choice', '{\"choices\": [\"upper\", \"lower\"]}', true),"
    " (2, 1, 1, 'Which?', '', 'multiple-choice', '{\"choices\": [\"a\", \"b\", \"c\"]}', true),"
    " (3, 1, 2, 'Where?', '', 'point', '{\"tolerance\": 2}', true),"
    " (4, 1, 3, 'Size?', '', 'float', '{\"minimum\": 0, \"maximum\": 9}', true)",
    "INSERT INTO answers (id, question_id, case_id, reader, value, created_at) VALUES"
    " (1, 1, 1, 'dan', '\"lower\"', '2026-01-01 00:00:00'),"
    " (2, 2, 1, 'dan', '[\"c\", \"a\"]', '2026-01-01 00:00:00'),"
    " (3, 3, 1, 'dan', '{\"type\": \"Point\", \"point\": [1, 2, 3]}', '2026-01-01 00:00:00')",
    "INSERT INTO ground_truth_answers (id, question_id, case_id, created_by, value, created_at) VALUES"
    " (1, 1, 1, 'ann', '\"upper\"', '2026-01-01 00:00:00')",
]


def values(connection, table):
    """``(question_id, value)`` of each row; SQLite hands back JSON text, PostgreSQL the value."""
    rows = connection.execute(text(f"SELECT question_id, value FROM {table} ORDER BY id"))
    sqlite = connection.dialect.name == "sqlite"
    return [(question, json.loads(value) if sqlite and isinstance(value, str) else value) for question, value in rows]


def test_existing_answers_are_converted_and_back(database_url):
    migrations.upgrade(database_url, "0011_results_version")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for row in ROWS:
            connection.execute(text(row))
    migrations.upgrade(database_url)
    with engine.connect() as connection:
        options = connection.execute(text("SELECT id, question_id, title FROM question_options ORDER BY position, id"))
        ids = {(question, title): option for option, question, title in options}
        assert len(ids) == 5
        answers = values(connection, "answers")
        assert answers[0] == (1, ids[1, "lower"])
        assert answers[1] == (2, [ids[2, "c"], ids[2, "a"]])
        assert answers[2] == (3, {"type": "Point", "point": [1, 2, 3], "version": {"major": 1, "minor": 0}})
        assert values(connection, "ground_truth_answers") == [(1, ids[1, "upper"])]
        questions = connection.execute(text("SELECT id, widget, viewport FROM questions ORDER BY id")).all()
        assert [tuple(q) for q in questions] == [(1, "radio-select", ""), (2, "", ""), (3, "", "main"),
                                                 (4, "number-input", "")]  # fmt: skip
    migrations.downgrade(database_url, "0011_results_version")
    with engine.connect() as connection:
        assert values(connection, "answers")[:2] == [(1, "lower"), (2, ["c", "a"])]
        assert values(connection, "ground_truth_answers") == [(1, "upper")]
    engine.dispose()
