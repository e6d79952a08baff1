"""The shapes of challenges (challenges service): challenges, join requests, phases, and where a
phase's training data lies.

A phase shows the same to everyone who may see it (``Phase``), except what is its admins' alone:
its hidden test set, ground truth and evaluation method (``PhaseAdmin``).
"""

from datetime import datetime

from pydantic import ConfigDict, Field, model_serializer

from ..core.errors import GcError
from ..core.orm import ChallengeRole, JoinRequestStatus, ResultDisplay, ScoringMethod, SubmissionKind, Visibility
from ..core.submission_metadata import MetadataChoice
from .algorithms import ContainerLimitsBody, Interface, Interfaces, SocketSlugs
from .common import Body, Shape, Time, page_of
from .fields import (
    Bool,
    LongText,
    NullableText,
    Text,
    boolean,
    limited_text,
    moment,
    one_choice,
    parsed,
    stored,
    text,
    whole,
)


class JoinRequest(Shape):
    """A request to take part in a challenge, and its admins' decision."""

    id: int
    username: str
    message: str
    status: JoinRequestStatus
    created_at: Time
    decided_by: str | None
    decided_at: Time | None


JoinRequestPage = page_of(JoinRequest)


class Challenge(Shape):
    """A challenge as anyone may see it, with the caller's roles and pending join request."""

    slug: str
    title: str
    description: str
    created_by: str
    created_at: Time
    use_teams: bool = Field(description="Whether participants take part in teams (which share submission limits).")
    my_roles: list[ChallengeRole]
    my_join_request: JoinRequest | None

    @classmethod
    def of(cls, challenge, roles=(), join_request=None, **fields):
        request = JoinRequest.from_object(join_request) if join_request else None
        return cls.from_object(challenge, my_roles=sorted(roles), my_join_request=request, **fields)


ChallengePage = page_of(Challenge)


class ChallengeCreate(Body):
    """A new challenge, whose creator becomes its admin."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"slug": "lungs", "title": "Lungs"}]})

    slug: Text
    title: Text
    description: LongText = ""
    use_teams: Bool = False


class ChallengeChange(Body):
    """New values for a challenge's title or description, or whether it uses teams."""

    title: Text = None
    description: LongText = None
    use_teams: Bool = None


class Admins(Shape):
    """A challenge's admins."""

    admins: list[str]


class Participants(Shape):
    """A challenge's participants."""

    participants: list[str]


class AdminAdd(Body):
    """Make a hub user an admin of the challenge too."""

    username: Text


class JoinAsk(Body):
    """Ask to take part in the challenge."""

    message: LongText = ""


class JoinDecision(Body):
    """Accept or reject a pending join request."""

    decision: stored(type="string", enum=["accept", "reject"])


class ResultsColumn(Shape):
    """A column of the leaderboard beside the score: where in the metrics it is, and how it ranks
    (written with the keys it was given: the others keep their defaults)."""

    path: str = Field(description="The value's path in an evaluation's metrics, such as aggregates.hd95.mean.")
    title: str | None = Field(None, description="Its heading (default: its path).")
    ascending: bool = Field(False, description="Whether lower values are better.")
    exclude_from_ranking: bool = False

    @model_serializer(mode="wrap")
    def _as_given(self, write):
        return {key: value for key, value in write(self).items() if key in self.model_fields_set}


def results_columns(field, value):
    if not isinstance(value, list):
        raise GcError(f"{field} must be a list of {{path, title, ascending, exclude_from_ranking}} objects.")
    for i, column in enumerate(value):
        if not isinstance(column, dict) or set(column) - set(ResultsColumn.model_fields) or "path" not in column:
            raise GcError(
                f"{field}[{i}] must be an object with path, and optionally title, ascending and exclude_from_ranking."
            )
        text(f"{field}[{i}].path", column["path"])
        text(f"{field}[{i}].title", column.get("title", "-"))
        boolean(f"{field}[{i}].ascending", column.get("ascending", False))
        boolean(f"{field}[{i}].exclude_from_ranking", column.get("exclude_from_ranking", False))
    return value


class PhaseChange(ContainerLimitsBody):
    """New values for a phase's settings; ``parent`` and ``archive`` are slugs (null: none), the
    socket lists slugs of sockets of the archives service."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Final", "closes_at": "2030-01-31T12:00:00Z"}]})

    slug: Text = None
    title: Text = None
    submission_kind: one_choice(SubmissionKind) = None
    opens_at: parsed(moment, datetime, null=True) = None
    closes_at: parsed(moment, datetime, null=True) = None
    submissions_limit: parsed(whole(0), int, null=True, ge=0) = None
    submissions_period_days: parsed(whole(1), int, null=True, ge=1) = None
    visibility: one_choice(Visibility) = None
    auto_publish: Bool = None
    score_jsonpath: Text = None
    score_ascending: Bool = None
    extra_results_columns: parsed(results_columns, list[ResultsColumn]) = None
    scoring_method: one_choice(ScoringMethod) = None
    result_display: one_choice(ResultDisplay) = None
    method_image: limited_text(512, null=True) = None
    ground_truth_path: limited_text(1024, null=True) = None
    algorithm_concurrency: parsed(whole(1), int, ge=1) = None
    ground_truth_version: limited_text(128, null=True) = None
    parent: NullableText = Field(None, description="The slug of the phase to pass first.")
    archive: NullableText = Field(None, description="The slug of the archive whose cases are the hidden test set.")
    algorithm_inputs: SocketSlugs = Field(None, description="With algorithm_outputs: the one interface it accepts.")
    algorithm_outputs: SocketSlugs = None
    algorithm_interfaces: Interfaces = Field(None, description="The interfaces a submitted algorithm must have.")
    evaluation_additional_inputs: SocketSlugs = Field(
        None, description="Sockets each submission gives a value for, which the evaluation reads at their paths."
    )
    evaluation_additional_outputs: SocketSlugs = Field(
        None,
        description="Sockets the evaluation writes a value for besides metrics.json (at /output/<relative_path>);"
        " kept with the evaluation for the challenge's admins only.",
    )
    comment_choice: one_choice(MetadataChoice) = Field(None, description="Whether a submission gives a comment.")
    method_choice: one_choice(MetadataChoice) = Field(None, description="Whether it names and describes its method.")
    url_choice: one_choice(MetadataChoice) = Field(None, description="Whether it gives a publication or code URL.")
    rank_baselines: Bool = Field(None, description="Whether baselines are ranked with the participants' results.")
    supplementary_file_choice: one_choice(MetadataChoice) = Field(
        None, description="Whether a submission gives a supplementary PDF."
    )


class PhaseCreate(PhaseChange):
    """A new phase; what it does not give takes the platform's defaults."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"slug": "final", "title": "Final", "visibility": "participants"}]}
    )

    slug: Text
    title: Text


class Phase(Shape):
    """A phase as those who may see it see it."""

    challenge: str
    slug: str
    title: str
    submission_kind: SubmissionKind
    opens_at: Time | None
    closes_at: Time | None
    submissions_limit: int | None
    submissions_period_days: int | None
    visibility: Visibility
    auto_publish: bool
    parent: str | None = Field(description="The phase to pass first; null too when the viewer may not see it.")
    score_jsonpath: str
    score_ascending: bool
    extra_results_columns: list[ResultsColumn]
    scoring_method: ScoringMethod
    result_display: ResultDisplay
    cpu_limit: float
    memory_limit_mb: int
    time_limit_s: int
    gpu: bool
    algorithm_interfaces: list[Interface]
    algorithm_inputs: list[str] = Field(description="Every socket its interfaces give algorithms.")
    algorithm_outputs: list[str] = Field(description="Every socket its interfaces want back.")
    evaluation_additional_inputs: list[str]
    algorithm_concurrency: int
    comment_choice: MetadataChoice
    method_choice: MetadataChoice
    url_choice: MetadataChoice
    supplementary_file_choice: MetadataChoice
    rank_baselines: bool

    @classmethod
    def of(cls, phase, parent, **fields):
        """The phase, naming ``parent`` (its parent's slug, or None where the viewer may not see it)."""
        return cls.from_object(
            phase,
            challenge=phase.challenge.slug,
            parent=parent,
            algorithm_interfaces=[Interface.of(interface) for interface in phase.algorithm_interfaces],
            algorithm_inputs=[socket.slug for socket in phase.algorithm_inputs],
            algorithm_outputs=[socket.slug for socket in phase.algorithm_outputs],
            evaluation_additional_inputs=[socket.slug for socket in phase.evaluation_additional_inputs],
            **fields,
        )


class PhaseAdmin(Phase):
    """A phase as its challenge's admins see it: with its hidden test set, ground truth and method."""

    method_image: str | None
    method_digest: str | None
    ground_truth_path: str | None
    ground_truth_version: str | None
    archive: str | None
    evaluation_additional_outputs: list[str] = Field(description="Sockets the evaluation writes besides its metrics.")

    @classmethod
    def of(cls, phase):
        """The phase, naming its parent whatever that parent's visibility."""
        parent = phase.parent.slug if phase.parent else None
        return super().of(
            phase,
            parent,
            archive=phase.archive.slug if phase.archive else None,
            evaluation_additional_outputs=[socket.slug for socket in phase.evaluation_additional_outputs],
        )


# What a viewer sees of a phase: all of it if they administer its challenge.
AnyPhase = Phase | PhaseAdmin
PhasePage = page_of(AnyPhase, "PhasePage")


class ChallengeDetail(Challenge):
    """A challenge with the phases the caller may see."""

    phases: list[AnyPhase]


class TrainingData(Shape):
    """Where a phase's cases lie, for those who may read them (GET archives/<archive>/items)."""

    challenge: str
    phase: str
    archive: str
    cases: int
