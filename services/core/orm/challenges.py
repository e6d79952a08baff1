"""Challenges, their phases, the submissions to a phase and the evaluations of a submission."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..submission_metadata import MetadataChoice
from .algorithm_models import AlgorithmModel
from .algorithms import Algorithm, AlgorithmJob
from .archives import Archive
from .base import Base, JSONData, Named, Slugged, children, link_table, parent_key, utcnow
from .interfaces import AlgorithmInterface, union
from .results_version import new_results_version
from .runs import ContainerRun, Limits
from .sockets import Socket, SocketValue

phase_algorithm_interfaces = link_table("phase_algorithm_interfaces", "phases", "algorithm_interfaces")
phase_evaluation_inputs = link_table("phase_evaluation_inputs", "phases", "sockets")
phase_evaluation_outputs = link_table("phase_evaluation_outputs", "phases", "sockets")
submission_evaluation_inputs = link_table("submission_evaluation_inputs", "submissions", "socket_values")
evaluation_algorithm_jobs = link_table("evaluation_algorithm_jobs", "evaluations", "algorithm_jobs")
evaluation_outputs = link_table("evaluation_outputs", "evaluations", "socket_values")


class SubmissionKind(StrEnum):
    PREDICTIONS = "predictions"
    ALGORITHM = "algorithm"


class ScoringMethod(StrEnum):
    """How the leaderboard ranks: by the score alone, or by the mean or median of the ranks on
    the score and the extra result columns."""

    ABSOLUTE = "absolute"
    MEAN_RANK = "mean-rank"
    MEDIAN_RANK = "median-rank"


class ResultDisplay(StrEnum):
    """Which results of each participant the leaderboard shows."""

    ALL = "all"
    BEST = "best"
    MOST_RECENT = "most-recent"
    SELECTED = "selected"  # the one each participant chose (their most recent until they choose)


class Visibility(StrEnum):
    """Who sees a phase and its leaderboard."""

    PUBLIC = "public"
    PARTICIPANTS = "participants"
    HIDDEN = "hidden"


class Challenge(Named, Base):
    """A challenge. Deleting it deletes its phases, their submissions and evaluations. With
    ``use_teams``, participants take part in teams (teams.py): a team's members share its
    submission limits and the leaderboard names it."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    use_teams: Mapped[bool] = mapped_column(default=False, server_default="0")
    phases: Mapped[list["Phase"]] = children("Phase", "challenge")


class Phase(Slugged, Limits, Base):
    """A stage of a challenge that takes submissions of one kind and evaluates them.

    Submissions: at most ``submissions_limit`` per participant in each ``submissions_period_days``
    (None: no limit; a None period is the whole phase), between ``opens_at`` and ``closes_at``
    (None: no bound). An algorithm phase runs each submitted algorithm on the items of
    ``archive``, each with the one of ``algorithm_interfaces`` whose inputs the item's values fill;
    then ``method_image`` (the evaluation
    container) compares the outputs, or the predictions file, with the ground truth; it also reads
    the values each submission gives for ``evaluation_additional_inputs``, and writes, besides its
    metrics, a value for each of ``evaluation_additional_outputs`` (seen by the challenge's admins
    only: they may hold the hidden ground truth). Both kinds of container run with the phase's limits.

    Scoring: ``score_jsonpath`` (e.g. ``aggregates.dice.mean``) picks the score from the metrics;
    ``extra_results_columns`` is a list of ``{"path": ..., "title": ..., "ascending": bool}``. A
    ``parent`` phase (a sanity check) must be passed before submitting here. ``results_version``
    changes whenever what its leaderboard shows may have changed (results_version.py), so that a
    leaderboard computed before is reused only while it is the same.

    An algorithm submission runs first on one case (a canary), then on the others, at most
    ``algorithm_concurrency`` jobs at a time.

    What a submission says of its method (a comment, the method's name and description, a URL) is
    asked for as ``comment_choice``, ``method_choice`` and ``url_choice`` say
    (services/core/submission_metadata.py). Baselines, which its admins mark, are ranked with
    the participants' results only when ``rank_baselines``.
    """

    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("challenge_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = parent_key("challenges")
    challenge: Mapped[Challenge] = relationship(back_populates="phases")
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    submission_kind: Mapped[SubmissionKind] = mapped_column(default=SubmissionKind.PREDICTIONS)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    submissions_limit: Mapped[int | None]
    submissions_period_days: Mapped[int | None]
    archive_id: Mapped[int | None] = mapped_column(ForeignKey("archives.id", ondelete="RESTRICT"))
    archive: Mapped[Archive | None] = relationship()
    method_image: Mapped[str | None] = mapped_column(String(512))
    method_digest: Mapped[str | None] = mapped_column(String(128))
    ground_truth_path: Mapped[str | None] = mapped_column(String(1024))
    ground_truth_version: Mapped[str | None] = mapped_column(String(128))
    score_jsonpath: Mapped[str] = mapped_column(String(255), default="aggregates.score")
    score_ascending: Mapped[bool] = mapped_column(default=False)
    extra_results_columns: Mapped[list] = mapped_column(JSONData, default=list)
    scoring_method: Mapped[ScoringMethod] = mapped_column(default=ScoringMethod.ABSOLUTE)
    result_display: Mapped[ResultDisplay] = mapped_column(default=ResultDisplay.ALL)
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.HIDDEN)
    auto_publish: Mapped[bool] = mapped_column(default=True)
    algorithm_concurrency: Mapped[int] = mapped_column(default=2)
    comment_choice: Mapped[MetadataChoice] = mapped_column(default=MetadataChoice.OPTIONAL, server_default="optional")
    method_choice: Mapped[MetadataChoice] = mapped_column(default=MetadataChoice.OFF, server_default="off")
    url_choice: Mapped[MetadataChoice] = mapped_column(default=MetadataChoice.OFF, server_default="off")
    supplementary_file_choice: Mapped[MetadataChoice] = mapped_column(default=MetadataChoice.OFF, server_default="off")
    rank_baselines: Mapped[bool] = mapped_column(default=False, server_default="0")
    results_version: Mapped[str] = mapped_column(String(32), default=new_results_version, server_default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"))
    parent: Mapped["Phase | None"] = relationship(remote_side=[id])
    algorithm_interfaces: Mapped[list[AlgorithmInterface]] = relationship(
        secondary=phase_algorithm_interfaces, order_by=AlgorithmInterface.id
    )
    evaluation_additional_inputs: Mapped[list[Socket]] = relationship(
        secondary=phase_evaluation_inputs, order_by=Socket.slug
    )
    evaluation_additional_outputs: Mapped[list[Socket]] = relationship(
        secondary=phase_evaluation_outputs, order_by=Socket.slug
    )
    submissions: Mapped[list["Submission"]] = children("Submission", "phase")

    @property
    def algorithm_inputs(self):
        """Every socket the phase's interfaces give algorithms."""
        return union(self.algorithm_interfaces, "inputs")

    @property
    def algorithm_outputs(self):
        """Every socket the phase's interfaces want back."""
        return union(self.algorithm_interfaces, "outputs")

    def slug_scope(self):
        challenge_id = self.challenge.id if self.challenge is not None else self.challenge_id
        return (Phase.challenge_id == challenge_id,)

    def describe_slug(self):
        return f"a phase with slug {self.slug!r} in challenge {self.challenge.slug!r}"


class Submission(Base):
    """A predictions file (path in the data directory) or an algorithm submitted to a phase, with
    its values for the phase's ``evaluation_additional_inputs``; an algorithm pinned to its image
    digest and its active model (if any) when it was submitted, which all of its jobs run. What
    it says of its method, as its phase asks; ``is_baseline`` when the phase's admins mark it so."""

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("(predictions_path IS NULL) <> (algorithm_id IS NULL)", name="predictions_or_algorithm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = parent_key("phases")
    phase: Mapped[Phase] = relationship(back_populates="submissions")
    creator: Mapped[str] = mapped_column(String(255), index=True)
    predictions_path: Mapped[str | None] = mapped_column(String(1024))
    algorithm_id: Mapped[int | None] = mapped_column(ForeignKey("algorithms.id", ondelete="RESTRICT"))
    algorithm: Mapped[Algorithm | None] = relationship()
    algorithm_digest: Mapped[str | None] = mapped_column(String(128))
    algorithm_model_id: Mapped[int | None] = mapped_column(ForeignKey("algorithm_models.id"), index=True)
    algorithm_model: Mapped[AlgorithmModel | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    method_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    method_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    url: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    is_baseline: Mapped[bool] = mapped_column(default=False, server_default="0")
    supplementary_path: Mapped[str | None] = mapped_column(String(1024))
    selected: Mapped[bool] = mapped_column(default=False, server_default="0")
    evaluation_inputs: Mapped[list[SocketValue]] = relationship(secondary=submission_evaluation_inputs)
    evaluations: Mapped[list["Evaluation"]] = children("Evaluation", "submission")
    jobs: Mapped[list[AlgorithmJob]] = relationship(order_by=AlgorithmJob.id, viewonly=True)


class Evaluation(ContainerRun, Base):
    """One run of the phase's evaluation method on a submission, pinned to the digests of the
    algorithm and evaluation images and the ground-truth version it used; for an algorithm
    submission, ``algorithm_jobs`` are the jobs whose outputs it evaluated; ``outputs`` are its
    values for the phase's ``evaluation_additional_outputs`` (its admins' only)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = parent_key("submissions")
    submission: Mapped[Submission] = relationship(back_populates="evaluations")
    metrics: Mapped[Any] = mapped_column(JSONData, nullable=True)
    published: Mapped[bool] = mapped_column(default=False)
    algorithm_digest: Mapped[str | None] = mapped_column(String(128))
    method_digest: Mapped[str | None] = mapped_column(String(128))
    ground_truth_version: Mapped[str | None] = mapped_column(String(128))
    algorithm_jobs: Mapped[list[AlgorithmJob]] = relationship(secondary=evaluation_algorithm_jobs)
    outputs: Mapped[list[SocketValue]] = relationship(secondary=evaluation_outputs)
