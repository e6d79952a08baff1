"""Reading a reader study's ground truth from an uploaded CSV or JSON document.

Both formats hold one row per (case, question) pair with its right answer:

- CSV, with a header row naming the columns ``case``, ``question`` and ``value``: ``case`` is a
  case id, ``question`` a question id or its exact text, ``value`` the answer. Text and choice
  answers are written plainly; yes/no as ``true``/``false`` (or ``yes``/``no``); everything else
  as JSON (``12.5``, ``["a", "b"]``, ``{"type": "Point", "point": [1, 2, 3]}``).
- JSON: a list of objects ``{"case": 1, "question": 2, "value": ...}``, values as JSON.

Either may add an ``explanation`` (a column, a key): why the answer is right, shown to readers
beside it.

Rows are numbered from 1, not counting a CSV's header row. ``read_rows`` only parses;
``ReaderStudyAccess.replace_ground_truth`` checks each row against its question.
"""

import csv
import io
import json

from ..core.errors import InvalidValue
from ..core.schemas import SocketKind

COLUMNS = ("case", "question", "value")
TEXT_KINDS = (SocketKind.STRING, SocketKind.CHOICE)
YES_NO = {"true": True, "yes": True, "false": False, "no": False}


class CellText(str):
    """A value as a CSV cell holds it (text), to be read after its question's kind."""


def read_rows(data, csv_format):
    """The rows of an uploaded ground-truth document (bytes) as ``{case, question, value}``
    dicts; InvalidValue saying what to fix when the document itself is malformed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("The ground truth must be UTF-8 text.") from None
    return _csv_rows(text) if csv_format else _json_rows(text)


def _csv_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise InvalidValue(
            f"The CSV's header row must name the columns case, question and value; missing: {', '.join(missing)}."
        )
    try:
        return [
            {key: (row[key] or "").strip() for key in ("case", "question")}
            | {"value": CellText(row["value"] or ""), "explanation": (row.get("explanation") or "").strip()}
            for row in reader
        ]
    except csv.Error as e:
        raise InvalidValue(f"The CSV cannot be read at line {reader.line_num}: {e}.") from None


def _json_rows(text):
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidValue(f"The ground truth is not valid JSON: {e}.") from None
    if not isinstance(rows, list):
        raise InvalidValue('The ground truth must be a JSON list of {"case", "question", "value"} objects.')
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or sorted(set(row) - {"explanation"}) != sorted(COLUMNS):
            raise InvalidValue(
                f'row {number}: must be an object with exactly "case", "question" and "value" (and an "explanation").'
            )
        if not isinstance(row.get("explanation", ""), str):
            raise InvalidValue(f'row {number}: "explanation" must be text.')
    return rows


def cell_value(kind, text):
    """A CSV cell's text as the value of a question of ``kind``."""
    text = text.strip()
    if not text:
        raise InvalidValue("no value")
    if kind in TEXT_KINDS and not text.startswith('"'):
        return text
    if kind == SocketKind.BOOL and text.lower() in YES_NO:
        return YES_NO[text.lower()]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise InvalidValue(f"{text!r} is not a {kind} value; write it as JSON") from None
