"""What the platform answers, as typed results (``gc_extension.Client`` returns these)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FINISHED = ("succeeded", "failed", "cancelled")


def moment(text):
    """A datetime from the services' ISO 8601 text (None stays None)."""
    return datetime.fromisoformat(text) if text else None


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

    @classmethod
    def from_json(cls, data):
        return cls(
            challenge=data["challenge"],
            slug=data["slug"],
            title=data["title"],
            submission_kind=data["submission_kind"],
            visibility=data["visibility"],
            opens_at=moment(data.get("opens_at")),
            closes_at=moment(data.get("closes_at")),
            submissions_limit=data.get("submissions_limit"),
            submissions_period_days=data.get("submissions_period_days"),
            parent=data.get("parent"),
            algorithm_inputs=tuple(data.get("algorithm_inputs") or ()),
            algorithm_outputs=tuple(data.get("algorithm_outputs") or ()),
        )

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
    description: str
    my_roles: tuple
    join_request: str | None  # the status of my pending join request, if any
    phases: tuple = ()

    @classmethod
    def from_json(cls, data, phases=()):
        request = data.get("my_join_request")
        return cls(
            data["slug"],
            data["title"],
            data.get("description", ""),
            tuple(data.get("my_roles") or ()),
            request["status"] if request else None,
            tuple(phases),
        )

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
    id: int
    status: str
    published: bool
    metrics: dict | None
    error_message: str = ""


@dataclass(frozen=True)
class Submission:
    id: int
    challenge: str
    phase: str
    kind: str
    status: str
    algorithm: str | None = None
    predictions_file: str | None = None
    limits: dict = field(default_factory=dict)
    cases_total: int = 0
    cases_done: int = 0
    jobs: tuple = ()
    evaluations: tuple = ()
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data):
        cases = data.get("cases") or {}
        return cls(
            id=data["id"],
            challenge=data["challenge"],
            phase=data["phase"],
            kind=data["kind"],
            status=data["status"],
            algorithm=data.get("algorithm"),
            predictions_file=data.get("predictions_file"),
            limits=data.get("limits") or {},
            cases_total=cases.get("total", 0),
            cases_done=cases.get("done", 0),
            jobs=tuple(data.get("jobs") or ()),
            evaluations=tuple(
                Evaluation(e["id"], e["status"], e["published"], e.get("metrics"), e.get("error_message") or "")
                for e in data.get("evaluations") or ()
            ),
            created_at=moment(data.get("created_at")),
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

    @classmethod
    def from_json(cls, data):
        return cls(
            data["id"], data.get("algorithm"), data["status"], data.get("error_message") or "", data.get("digest")
        )

    @property
    def done(self):
        return self.status in FINISHED


@dataclass(frozen=True)
class AlgorithmJob:
    id: int
    algorithm: str
    status: str
    queue_position: int | None = None
    limits: dict = field(default_factory=dict)
    error_message: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data):
        return cls(
            id=data["id"],
            algorithm=data["algorithm"],
            status=data["status"],
            queue_position=data.get("queue_position"),
            limits=data.get("limits") or {},
            error_message=data.get("error_message") or "",
            stdout_tail=data.get("stdout_tail") or "",
            stderr_tail=data.get("stderr_tail") or "",
            inputs=data.get("inputs") or {},
            outputs=data.get("outputs") or {},
        )

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
    columns: tuple  # ({"path", "title", "ascending"}, ...): the score first
    entries: tuple  # the service's entries: rank, user, score, columns, …

    @classmethod
    def from_json(cls, data, entries):
        return cls(data["challenge"], data["phase"], data["title"], tuple(data["scoring"]["columns"]), tuple(entries))
