"""What the platform answers, as typed results (``gc_extension.Client`` returns these).

Each result reads its fields from a response by the generated type of that response (``SHAPE``,
from ``api_types``, which is made from the services' own models): a field of the type is read
with that type's meaning (a ``Time`` becomes a datetime, a list a tuple), a missing or null one
keeps the field's default. The fields that the response does not have by their name are the
client's own (``CLIENT_ONLY``): ``from_json`` gives them, or they keep their defaults."""

import dataclasses
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from . import api_types

FINISHED = ("succeeded", "failed", "cancelled")


def moment(text):
    """A datetime from the services' ISO 8601 text (None stays None)."""
    return datetime.fromisoformat(text) if text else None


def _is_time(annotation):
    return annotation is api_types.Time or api_types.Time in typing.get_args(annotation)


def from_api(cls, data, **given):
    """An instance of dataclass ``cls`` from ``data``, a response of type ``cls.SHAPE``: each field
    of ``cls`` that the shape declares is read from ``data``; ``given`` holds the others (its
    ``CLIENT_ONLY`` fields)."""
    hints = typing.get_type_hints(cls.SHAPE)
    values = dict(given)
    for attribute in dataclasses.fields(cls):
        if attribute.name in values or attribute.name not in hints:
            continue
        value = data.get(attribute.name)
        has_default = (
            attribute.default is not dataclasses.MISSING or attribute.default_factory is not dataclasses.MISSING
        )
        if value is None and has_default:
            continue
        if _is_time(hints[attribute.name]):
            value = moment(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[attribute.name] = value
    return cls(**values)


@dataclass(frozen=True)
class Phase:
    challenge: str
    slug: str
    title: str
    submission_kind: str
    visibility: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    submissions_limit: int | None = None
    submissions_period_days: int | None = None
    parent: str | None = None
    algorithm_inputs: tuple = ()
    algorithm_outputs: tuple = ()
    submissions_left: int | None = None  # filled by Client.challenges() (None: no limit)

    SHAPE: ClassVar = api_types.Phase
    CLIENT_ONLY: ClassVar = ("submissions_left",)

    @classmethod
    def from_json(cls, data: api_types.Phase):
        return from_api(cls, data)

    @property
    def name(self):
        return f"{self.challenge}/{self.slug}"

    def is_open(self, now=None):
        now = now or datetime.now(UTC)
        return (self.opens_at is None or self.opens_at <= now) and (self.closes_at is None or now < self.closes_at)


@dataclass(frozen=True)
class Challenge:
    slug: str
    title: str
    description: str = ""
    my_roles: tuple = ()
    join_request: str | None = None  # the status of my pending join request, if any
    phases: tuple = ()

    SHAPE: ClassVar = api_types.Challenge
    CLIENT_ONLY: ClassVar = ("join_request", "phases")

    @classmethod
    def from_json(cls, data: api_types.Challenge, phases=()):
        request = data.get("my_join_request")
        return from_api(cls, data, join_request=request["status"] if request else None, phases=tuple(phases))

    @property
    def joined(self):
        return "participant" in self.my_roles or "admin" in self.my_roles


@dataclass(frozen=True)
class JoinResult:
    challenge: str
    status: str  # "participant" (in already), "pending" (an admin decides) or "accepted"
    message: str


@dataclass(frozen=True)
class UploadedFile:
    session: int
    file: int
    filename: str
    size: int


@dataclass(frozen=True)
class Evaluation:
    """An evaluation; the tails of its logs only for the challenge's admins (empty for others)."""

    id: int
    status: str
    published: bool
    metrics: dict | None
    error_message: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""

    SHAPE: ClassVar = api_types.EvaluationAdmin
    CLIENT_ONLY: ClassVar = ()

    @classmethod
    def from_json(cls, data: api_types.Evaluation):
        return from_api(cls, data)


@dataclass(frozen=True)
class Submission:
    id: int
    challenge: str
    phase: str
    kind: str
    status: str
    algorithm: str | None = None
    predictions_file: str | None = None
    limits: api_types.Limits | dict = field(default_factory=dict)
    cases_total: int = 0
    cases_done: int = 0
    jobs: tuple[api_types.SubmissionJob, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    created_at: datetime | None = None

    SHAPE: ClassVar = api_types.Submission
    CLIENT_ONLY: ClassVar = ("cases_total", "cases_done")

    @classmethod
    def from_json(cls, data: api_types.Submission):
        cases = data.get("cases") or {}
        return from_api(
            cls,
            data,
            cases_total=cases.get("total", 0),
            cases_done=cases.get("done", 0),
            evaluations=tuple(Evaluation.from_json(e) for e in data.get("evaluations") or ()),
        )

    @property
    def done(self):
        return self.status in FINISHED

    @property
    def metrics(self):
        """The newest evaluation's metrics (None until published)."""
        return self.evaluations[-1].metrics if self.evaluations else None

    @property
    def error_message(self):
        messages = [e.error_message for e in self.evaluations if e.error_message]
        messages += [j.get("error_message") for j in self.jobs if j.get("error_message")]
        return messages[-1] if messages else ""


@dataclass(frozen=True)
class Build:
    id: int
    algorithm: str
    status: str
    error_message: str = ""
    digest: str | None = None

    SHAPE: ClassVar = api_types.Build
    CLIENT_ONLY: ClassVar = ()

    @classmethod
    def from_json(cls, data: api_types.Build):
        return from_api(cls, data)

    @property
    def done(self):
        return self.status in FINISHED


@dataclass(frozen=True)
class AlgorithmJob:
    id: int
    algorithm: str
    status: str
    queue_position: int | None = None
    limits: api_types.Limits | dict = field(default_factory=dict)
    error_message: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    SHAPE: ClassVar = api_types.AlgorithmJob
    CLIENT_ONLY: ClassVar = ()

    @classmethod
    def from_json(cls, data: api_types.AlgorithmJob):
        return from_api(cls, data)

    @property
    def done(self):
        return self.status in FINISHED


@dataclass(frozen=True)
class RunResult:
    """An algorithm job on one of my files, and where its outputs were saved."""

    input: Path
    job: AlgorithmJob
    outputs: dict  # socket slug -> Path of the saved file (images, JSON values)


@dataclass(frozen=True)
class Leaderboard:
    challenge: str
    phase: str
    title: str
    columns: tuple[api_types.ResultsColumn, ...]  # the score first
    entries: tuple[api_types.LeaderboardEntry, ...]

    SHAPE: ClassVar = api_types.PhaseLeaderboard
    CLIENT_ONLY: ClassVar = ("columns", "entries")

    @classmethod
    def from_json(cls, data: api_types.PhaseLeaderboard, entries):
        return from_api(cls, data, columns=tuple(data["scoring"]["columns"]), entries=tuple(entries))
