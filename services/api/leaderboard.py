"""The shapes of leaderboards (leaderboard service): a phase's ranked results, and users ranked
over several phases."""

from pydantic import Field

from ..core.orm import ResultDisplay, ScoringMethod
from .challenges import ResultsColumn
from .common import Shape, Time


class Scoring(Shape):
    """How the leaderboard ranks: the score and the extra columns, the method and which results it shows."""

    score_path: str
    score_ascending: bool
    columns: list[ResultsColumn] = Field(description="The score first, then the extra columns.")
    method: ScoringMethod
    display: ResultDisplay

    @classmethod
    def of(cls, scoring):
        return cls.from_object(scoring, columns=[ResultsColumn.from_object(column) for column in scoring.columns])


class Bootstrap(Shape):
    """Whether the confidence intervals and rank stability were computed, and how."""

    resamples: int
    seed: int
    confidence: float
    computed: bool
    reason: str | None = Field(description="Why they were not computed.")


class Pinned(Shape):
    """What produced a result: the algorithm's image and model, and a fingerprint of the evaluation setup."""

    algorithm_digest: str | None
    model_sha256: str | None = Field(description="The checksum of the algorithm's model (null: it ran without one).")
    evaluated_with: str | None


class PinnedAdmin(Pinned):
    """What produced a result, as the challenge's admins see it: the method and ground truth too."""

    method_digest: str | None
    ground_truth_version: str | None


class LeaderboardEntry(Shape):
    """One result on a phase's leaderboard."""

    rank: int | None = Field(description="null for a result that cannot be ranked (its notes say why).")
    user: str
    team: str | None = Field(description="The user's team, when the challenge uses teams.")
    baseline: bool = Field(
        description="A baseline that the phase's admins marked (ranked only when the phase says so)."
    )
    method_name: str
    url: str = Field(description="A publication or code URL; empty: none.")
    comment: str
    submission: int
    evaluation: int
    created_at: Time
    completed_at: Time | None
    published: bool
    score: float | None
    score_interval: list[float] | None = Field(description="The score's bootstrap confidence interval.")
    rank_stability: float | None = Field(description="How often the entry keeps its rank when cases are resampled.")
    rank_score: float | None
    columns: dict[str, float | None] = Field(description="Each column's value, by its path.")
    column_ranks: dict[str, float]
    notes: list[str]
    pinned: Pinned | PinnedAdmin
    details: str = Field(description="Where the submission's page is.")


class PhaseLeaderboard(Shape):
    """A phase's ranked results, a page at a time."""

    challenge: str
    phase: str
    title: str
    admin: bool = Field(description="Whether the viewer administers the challenge (and sees unpublished results).")
    scoring: Scoring
    bootstrap: Bootstrap
    count: int
    ranked: int
    offset: int
    limit: int
    results: list[LeaderboardEntry]


class CombinedEntry(Shape):
    """A user ranked by the mean of their best rank in each phase."""

    rank: int | None
    user: str
    mean_rank: float | None
    phase_ranks: dict[str, int | None]
    notes: list[str]


class CombinedLeaderboard(Shape):
    """Users ranked over several phases, a page at a time."""

    challenge: str
    phases: list[str]
    count: int
    offset: int
    limit: int
    results: list[CombinedEntry]
