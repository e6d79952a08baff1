"""Errors on pages in words: the API names the fields of its requests (``closes_at must be later
than opens_at``), a page names what its form calls them (``The closing date must be later than the
opening date``). JSON errors of the API keep the field names."""

import re

# What the page forms call each field that an error may name.
FIELD_WORDS = {
    # challenges and phases
    "opens_at": "the opening date",
    "closes_at": "the closing date",
    "submission_kind": "what participants submit",
    "visibility": "who sees the phase",
    "scoring_method": "the way the leaderboard ranks",
    "result_display": "what the leaderboard shows",
    "submissions_limit": "the number of submissions per participant",
    "submissions_period_days": "the days over which submissions are counted",
    "parent": "the phase participants must pass first",
    "archive": "the archive",
    "algorithm_inputs": "what the algorithm reads",
    "algorithm_outputs": "what the algorithm writes",
    "algorithm_interfaces": "what the algorithm reads and writes",
    "evaluation_additional_inputs": "the values each submission gives the evaluation",
    "evaluation_additional_outputs": "what the evaluation writes besides its metrics",
    "method_image": "the evaluation method",
    "method_digest": "the evaluation method",
    "score_jsonpath": "where the score is in metrics.json",
    "score_ascending": "whether lower scores are better",
    "extra_results_columns": "the other result columns",
    "cpu_limit": "the number of CPUs",
    "memory_limit_mb": "the memory (MiB)",
    "time_limit_s": "the time limit (seconds)",
    "gpu_count": "the number of GPUs",
    "algorithm_concurrency": "the number of cases run at once",
    "ground_truth_path": "the ground truth folder",
    "ground_truth_version": "the ground truth version",
    # archives, reader studies, members
    "slug": "the short name",
    "title": "the title",
    "description": "the description",
    "username": "the username",
    "role": "the role",
    "help_text": "the help text",
    "kind": "the kind of answer",
    "text": "the question",
    "choices": "the choices",
    "minimum": "the minimum",
    "maximum": "the maximum",
    "tolerance": "the tolerance",
    "educational": "educational mode",
}

# A field with an underscore is named wherever it appears; a one-word field (also a word of
# prose: "title", "text") only where a clause names it: at its start, or quoted.
_NAMES = "|".join(sorted(FIELD_WORDS, key=len, reverse=True))
_ANYWHERE = re.compile(r"'?\b(" + "|".join(n for n in FIELD_WORDS if "_" in n) + r")\b'?")
_QUOTED = re.compile(r"'(" + _NAMES + r")'")
_CLAUSE = re.compile(r"(^|; |: |, )(" + _NAMES + r")(?=:| must| is| has|,|\.)")
_MISSING = re.compile(r"Missing field\(s\): ([^.]*)\.")
# Phrases of the core's messages that name the slug field inside a sentence.
PHRASES = {"another slug": "another short name", "with slug": "with the short name"}
_PHRASES = re.compile(r"\b(" + "|".join(PHRASES) + r")\b")


def _words(match, group=1):
    return FIELD_WORDS[match.group(group)]


def _listed(names):
    return ", ".join(FIELD_WORDS.get(name.strip(), name.strip()) for name in names.split(","))


def in_words(message):
    """``message`` with the fields it names called as the forms call them."""
    text = _MISSING.sub(lambda m: f"Fill in {_listed(m.group(1))}.", message)
    text = _PHRASES.sub(lambda m: PHRASES[m.group(1)], text)
    text = _ANYWHERE.sub(_words, text)
    text = _QUOTED.sub(_words, text)
    text = _CLAUSE.sub(lambda m: m.group(1) + _words(m, 2), text)
    starts_with_words = any(text.startswith(words) for words in FIELD_WORDS.values())
    return text[:1].upper() + text[1:] if starts_with_words else text
