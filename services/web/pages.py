"""Server-rendered pages: a form's mistakes come back on the page with what was typed."""

from datetime import UTC, datetime

from ..core.errors import GcError
from .base import ServiceHandler
from .field_words import in_words


def shown(model):
    """What a page shows of a response model: its JSON, as Python values for a template."""
    return model.model_dump(mode="json")


def sibling(prefix, service):
    """The prefix of another service beside the one at ``prefix``: /services/challenges/ → /services/leaderboard/."""
    return prefix.rstrip("/").rsplit("/", 1)[0] + f"/{service}/"


def page_routes(prefix, routes):
    """``(pattern, handler)`` routes of pages that build their links from the service's ``prefix``."""
    return [(pattern, handler, {"prefix": prefix}) for pattern, handler in routes]


class PageHandler(ServiceHandler):
    """A page for people in a browser (hub OAuth cookie; forms carry the XSRF token).
    Pages routed with ``page_routes`` know their service's prefix, and build links from it."""

    prefix = None

    def initialize(self, prefix=None):
        self.prefix = prefix

    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        if self.prefix is not None:
            namespace.update(
                prefix=self.prefix,
                challenge_pages=sibling(self.prefix, "challenges") + "challenges/",
                leaderboard_pages=sibling(self.prefix, "leaderboard") + "leaderboards/",
            )
        namespace.update(
            in_utc=in_utc,
            metric_name=metric_name,
            column_names=column_names,
            ranking_sentence=ranking_sentence,
            value_text=value_text,
            choice_words=CHOICE_WORDS,
        )
        return namespace

    def render_page(self, template, status=200, error=None, form=None, **values):
        self.set_status(status)
        self.render(template, error=in_words(error) if error else error, form=form or {}, **values)

    def form(self, *names):
        return {name: self.get_body_argument(name, "").strip() for name in names}

    def submit(self, action, on_error):
        """Run ``action()``; on a GcError, show ``on_error(error)`` (a re-rendered form)."""
        try:
            return action()
        except GcError as e:
            self.db.rollback()
            on_error(e)
            return None

    def get_template_path(self):
        return self.settings["template_path"]


# --- words for pages: times, metric names, how a leaderboard ranks ---------------------------

# What each choice means, for the dropdowns of forms.
CHOICE_WORDS = {
    "algorithm": "an algorithm (a container image run on each hidden case)",
    "predictions": "a predictions file (evaluated as it is)",
    "public": "everyone",
    "participants": "participants only",
    "hidden": "admins only",
    "absolute": "by the score alone",
    "mean-rank": "by the mean of the ranks on the ranked columns",
    "median-rank": "by the median of the ranks on the ranked columns",
    "all": "every result",
    "best": "each participant's best result",
    "most-recent": "each participant's most recent result",
    "selected": "the result each participant chose (their most recent until they choose)",
    "off": "no",
    "optional": "if they wish (optional)",
    "required": "yes, always (required)",
}

UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
STATISTICS = {"mean", "median", "std", "min", "max", "sum", "count"}


def _amount(seconds):
    for unit, size in UNITS:
        if seconds >= size * (2 if unit in ("year", "month") else 1):  # 40 days, not "1 month"
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "less than a minute"


def from_now(when, now):
    """How far ``when`` is from ``now`` in words: 'in 3 days', '2 hours ago'."""
    seconds = (when - now).total_seconds()
    return f"in {_amount(seconds)}" if seconds >= 0 else f"{_amount(-seconds)} ago"


def in_utc(when):
    """A time (or its ISO text) as a page writes it before the browser shows it in local time:
    'Thu 31 Jan 2030, 12:00 UTC'."""
    when = datetime.fromisoformat(when) if isinstance(when, str) else when
    return f"{when.astimezone(UTC):%a %-d %b %Y, %H:%M} UTC"


def phase_window(opens_at, closes_at, now):
    """Whether a phase takes submissions, in a sentence: 'Open now; closes in 3 days.'"""
    if opens_at and now < opens_at:
        return f"Not open yet: opens {from_now(opens_at, now)}."
    if closes_at and now >= closes_at:
        return f"Closed {from_now(closes_at, now)}: it takes no more submissions."
    if closes_at:
        return f"Open now; closes {from_now(closes_at, now)}."
    return "Open now, with no closing date."


def metric_name(path):
    """A metric's name for people, from its path in the metrics: 'aggregates.dice.mean' → 'Dice'."""
    parts = [part for part in path.split(".") if part != "aggregates"] or [path]
    statistic = parts.pop() if len(parts) > 1 and parts[-1] in STATISTICS else None
    name = " ".join(parts).replace("_", " ").replace("-", " ")
    name = name[:1].upper() + name[1:]
    return f"{name} ({statistic})" if statistic and statistic != "mean" else name


def column_names(scoring):
    """The names of a leaderboard's columns (``scoring``: the API's Scoring): the score is named
    after its metric, other columns by their title (or their metric, where the title is the path)."""
    names = []
    for i, column in enumerate(scoring["columns"]):
        title = column.get("title")
        names.append(title if i and title and title != column["path"] else metric_name(column["path"]))
    return names


def _listed(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def ranking_sentence(scoring):
    """How a leaderboard ranks, in words: 'Ranked by Dice (higher is better); Volume difference
    shown, not ranked.' (``scoring``: the API's Scoring)."""
    names, columns = column_names(scoring), scoring["columns"]
    ranked = (
        [0]
        if scoring["method"] == "absolute"
        else [0] + [i for i, c in enumerate(columns) if i and not c.get("exclude_from_ranking")]
    )
    words = [f"{names[i]} ({'lower' if columns[i].get('ascending') else 'higher'} is better)" for i in ranked]
    if len(words) == 1:
        sentence = f"Ranked by {words[0]}"
    else:
        average = "mean" if scoring["method"] == "mean-rank" else "median"
        sentence = f"Ranked by the {average} of each entry's ranks on {_listed(words)}"
    shown_only = [names[i] for i in range(len(columns)) if i not in ranked]
    if shown_only:
        sentence += f"; {_listed(shown_only)} {'is' if len(shown_only) == 1 else 'are'} shown, not ranked"
    return sentence + "."


def value_text(value):
    """A metric's or socket's value as text: numbers to 4 significant digits, lists joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) or "none"
    if value is None:
        return "—"
    return str(value)


def metric_rows(metrics, prefix=""):
    """``(name, text)`` of every value in a nest of metrics, named by their path in words."""
    if not isinstance(metrics, dict):
        return [(metric_name(prefix) if prefix else "Result", value_text(metrics))]
    rows = []
    for key, value in metrics.items():
        rows.extend(metric_rows(value, f"{prefix}.{key}" if prefix else str(key)))
    return rows


def case_table(metrics):
    """Per-case metrics (``metrics["case"]``: ``{case: {metric: value}}``) as ``(names, rows)``;
    ``([], [])`` when the metrics have none of that shape."""
    cases = metrics.get("case") if isinstance(metrics, dict) else None
    if not isinstance(cases, dict) or not all(isinstance(v, dict) for v in cases.values()):
        return [], []
    keys = list(dict.fromkeys(key for values in cases.values() for key in values))
    rows = [(case, [value_text(values.get(key)) for key in keys]) for case, values in cases.items()]
    return [metric_name(key) for key in keys], rows
