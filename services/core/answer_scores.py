"""How well a reader's answer matches the ground truth: a score from 0 (wrong) to 1 (right).

One pure function per kind of question, chosen by ``answer_score``:

- yes/no, choice, text and whole numbers: 1 when equal, else 0;
- multiple choice: the Jaccard index of the two sets of choices (both empty: 1);
- a decimal number: 1 when equal; with the question's ``minimum`` and ``maximum``, it falls
  linearly to 0 at an error of the whole range;
- a 2D bounding box: the intersection over union of the two rectangles (in the x-y plane);
- a distance: 1 when both ends are within the question's ``tolerance`` of the truth's;
- a point: 1 within the question's ``tolerance`` (mm; 0 when not given: equal) of the truth, else
  0; multiple points: the Jaccard index of the two sets, a pair of points within the tolerance
  counting as one (each point matched at most once, nearest first).

A reader's score on a reader study is the mean of their answers' scores over the (question, case)
pairs that have ground truth (``reader_scores``); an unanswered pair counts as 0. This is a choice:
grand-challenge averages over the answers given, so a reader who answers only the cases they are
sure of would rank above one who answered every case. Questions of kinds without a scorer
(headings, the annotations other than points, boxes and distances) score 0 against any ground truth.
"""

from .answer_types import AnswerKind


def _equal(answer, truth, options):
    return 1.0 if answer == truth else 0.0


def _jaccard(answer, truth):
    union = answer | truth
    return len(answer & truth) / len(union) if union else 1.0


def _multiple_choice(answer, truth, options):
    return _jaccard(set(answer), set(truth))


def _float(answer, truth, options):
    if answer == truth:
        return 1.0
    if "minimum" in options and "maximum" in options and options["maximum"] > options["minimum"]:
        return max(0.0, 1.0 - abs(answer - truth) / (options["maximum"] - options["minimum"]))
    return 0.0


def _rectangle(box):
    xs = [corner[0] for corner in box["corners"]]
    ys = [corner[1] for corner in box["corners"]]
    return min(xs), min(ys), max(xs), max(ys)


def _bounding_box(answer, truth, options):
    ax0, ay0, ax1, ay1 = _rectangle(answer)
    tx0, ty0, tx1, ty1 = _rectangle(truth)
    overlap = max(0.0, min(ax1, tx1) - max(ax0, tx0)) * max(0.0, min(ay1, ty1) - max(ay0, ty0))
    union = (ax1 - ax0) * (ay1 - ay0) + (tx1 - tx0) * (ty1 - ty0) - overlap
    return overlap / union if union > 0 else _equal(answer["corners"], truth["corners"], options)


def _distance(a, b):
    return sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5


def _point(answer, truth, options):
    return 1.0 if _distance(answer["point"], truth["point"]) <= options.get("tolerance", 0) else 0.0


def _multiple_points(answer, truth, options):
    given = [p["point"] for p in answer["points"]]
    wanted = [p["point"] for p in truth["points"]]
    pairs = sorted((_distance(a, t), i, j) for i, a in enumerate(given) for j, t in enumerate(wanted))
    used_given, used_wanted = set(), set()
    for distance, i, j in pairs:
        if distance <= options.get("tolerance", 0) and i not in used_given and j not in used_wanted:
            used_given.add(i)
            used_wanted.add(j)
    matched = len(used_given)
    union = len(given) + len(wanted) - matched
    return matched / union if union else 1.0


def _distance_measurement(answer, truth, options):
    """1 when both ends lie within the tolerance of the truth's ends (either way round)."""
    ends, wanted = (answer["start"], answer["end"]), (truth["start"], truth["end"])
    tolerance = options.get("tolerance", 0)
    close = lambda pairs: all(_distance(a, t) <= tolerance for a, t in pairs)  # noqa: E731
    return 1.0 if close(zip(ends, wanted, strict=True)) or close(zip(ends, wanted[::-1], strict=True)) else 0.0


SCORERS = {
    AnswerKind.BOOL: _equal,
    AnswerKind.CHOICE: _equal,
    AnswerKind.STRING: _equal,
    AnswerKind.INTEGER: _equal,
    AnswerKind.MULTIPLE_CHOICE: _multiple_choice,
    AnswerKind.FLOAT: _float,
    AnswerKind.BOUNDING_BOX_2D: _bounding_box,
    AnswerKind.POINT: _point,
    AnswerKind.MULTIPLE_POINTS: _multiple_points,
    AnswerKind.DISTANCE: _distance_measurement,
}


def answer_score(kind, options, answer, truth):
    """The score (0 to 1) of ``answer`` to a question of ``kind`` with ``options``, against
    ``truth``; a missing answer (None) scores 0, and so does one of another shape."""
    if answer is None:
        return 0.0
    try:
        return float(SCORERS[kind](answer, truth, options or {}))
    except (KeyError, TypeError, IndexError):
        return 0.0


def reader_scores(questions, truths, answers, readers=()):
    """Each reader's scores: ``{reader: {"score", "answered", "scored", "per_question"}}``.

    ``questions`` maps a question id to ``(kind, options)``; ``truths`` maps ``(question_id,
    case_id)`` to the ground-truth value; ``answers`` is an iterable of ``(reader, question_id,
    case_id, value)``; ``readers`` who gave no answer are scored too (0 on every pair). ``score``
    is the mean over every pair with ground truth, ``per_question`` the same mean for each
    question id; ``answered`` counts the reader's answers to those pairs (a cleared one, None, is
    none).
    """
    given = {reader: {} for reader in readers}
    for reader, question_id, case_id, value in answers:
        given.setdefault(reader, {})[question_id, case_id] = value
    scores = {}
    for reader, theirs in sorted(given.items()):
        per_question = {}
        for (question_id, case_id), truth in truths.items():
            kind, options = questions[question_id]
            points = answer_score(kind, options, theirs.get((question_id, case_id)), truth)
            per_question.setdefault(question_id, []).append(points)
        every = [points for points_list in per_question.values() for points in points_list]
        scores[reader] = {
            "score": sum(every) / len(every) if every else None,
            "answered": sum(1 for pair in truths if theirs.get(pair) is not None),
            "scored": len(every),
            "per_question": {q: sum(p) / len(p) for q, p in per_question.items()},
        }
    return scores
