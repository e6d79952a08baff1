"""The shapes of submissions (challenges service): a predictions file or an algorithm submitted to
a phase, its jobs and evaluations, and the ground truth its admins upload.

What a participant sees is narrower than what the challenge's admins see: a job's logs only on a
case they may read (``SubmissionJobWithLogs``); an evaluation's setup only as a fingerprint and
never its logs nor its outputs (it reads the hidden ground truth): ``EvaluationAdmin`` names the
method's digest and the ground truth version and holds the tails of its logs and its outputs."""

from typing import Literal

from pydantic import ConfigDict, Field, JsonValue

from ..core.status import JobStatus, UploadStatus
from .algorithms import Limits
from .archives import Value
from .common import Body, Shape, Time, page_of
from .fields import Bool, stored


class Evaluation(Shape):
    """An evaluation of a submission; its metrics for admins, or once published."""

    id: int
    status: JobStatus
    error_message: str = Field(
        description="Why it failed. When the evaluation's container ran and failed, its submitter reads only that"
        " it failed and whom to ask: the container read the hidden ground truth."
    )
    published: bool
    metrics: JsonValue | None
    algorithm_digest: str | None
    evaluated_with: str | None = Field(
        description="A fingerprint of the evaluation method and ground truth version that tells results of one"
        " setup apart without naming it."
    )
    created_at: Time
    completed_at: Time | None


class EvaluationAdmin(Evaluation):
    """An evaluation as the challenge's admins see it: with what it was evaluated with, the
    tails of its logs and its outputs."""

    method_digest: str | None
    ground_truth_version: str | None
    stdout_tail: str
    stderr_tail: str
    outputs: dict[str, Value] = Field(
        description="Its values for the phase's evaluation_additional_outputs: {socket slug: value}."
    )


class SubmissionJob(Shape):
    """A job of an algorithm submission on one case."""

    id: int
    pk: str = Field(description="The job's UUID, as containers know it (predictions.json, /input/<pk>/).")
    case: int | None
    status: JobStatus
    error_message: str = Field(
        description="Why it failed; on a case the viewer may not read, only that it failed and what to do."
    )
    image_digest: str | None
    model_sha256: str | None


class SubmissionJobWithLogs(SubmissionJob):
    """A job on a case the viewer may read, with the tails of its logs."""

    stdout_tail: str
    stderr_tail: str


class SubmissionSummary(Shape):
    """A submission, as lists show it."""

    id: int
    challenge: str
    phase: str
    creator: str
    created_at: Time
    kind: Literal["algorithm", "predictions"]
    algorithm: str | None
    algorithm_digest: str | None = Field(description="The image of the algorithm that its jobs run (pinned).")
    model_sha256: str | None = Field(description="The algorithm's model that its jobs run (pinned; null: none).")
    predictions_file: str | None
    status: str = Field(description="Its newest evaluation's status, or 'running algorithm' or 'queued'.")
    limits: Limits
    comment: str
    method_name: str
    method_description: str
    url: str = Field(description="A publication or code URL; empty: none.")
    is_baseline: bool = Field(description="Marked by the phase's admins as a baseline.")
    supplementary_file: str | None = Field(description="Where its supplementary PDF is (a download); null: none.")
    selected: bool = Field(description="Chosen by its creator to represent them (phases that show chosen results).")


SubmissionPage = page_of(SubmissionSummary, "SubmissionPage")


class CasesDone(Shape):
    total: int
    done: int


class Submission(SubmissionSummary):
    """A submission with its cases, jobs and evaluations."""

    cases: CasesDone
    jobs: list[SubmissionJob | SubmissionJobWithLogs]
    evaluations: list[Evaluation | EvaluationAdmin]


class SubmissionCreate(Body):
    """A predictions file uploaded through an upload session, or an algorithm, after what the
    phase takes."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"upload_session": 3, "file": 7}, {"algorithm": "otsu"}]})

    upload_session: stored(type="integer", description="An upload session of yours.") = None
    file: stored(type="integer", description="A complete file of that session.") = None
    algorithm: stored(type="string", description="The slug of an algorithm you edit.") = None
    evaluation_inputs: stored(
        type="object",
        description='Values for the phase\'s evaluation_additional_inputs: {socket slug: JSON value or {"image": id}}.',
    ) = None
    comment: stored(type="string", description="A comment (as the phase's comment_choice asks).") = None
    method_name: stored(type="string", description="The method's name (as its method_choice asks).") = None
    method_description: stored(type="string", description="The method's description (as its method_choice asks).") = (
        None
    )
    url: stored(type="string", description="A publication or code URL, https://… (as its url_choice asks).") = None
    supplementary_file: stored(
        type="object",
        description='A supplementary PDF uploaded through an upload session: {"upload_session": id, "file": id}'
        " (as its supplementary_file_choice asks).",
    ) = None


class SubmissionChange(Body):
    """Mark a submission as a baseline of the phase, or not (its admins)."""

    is_baseline: Bool


class UploadedFileRef(Body):
    """A complete file of one of your upload sessions (of the archives service)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"upload_session": 3, "file": 7}]})

    upload_session: stored(type="integer")
    file: stored(type="integer")


class EvaluationPublish(Body):
    """Show a result on the leaderboard, or hide it."""

    published: Bool


class GroundTruthTaken(Shape):
    """Uploaded ground truth handed to a worker; follow the file's status in the archives service."""

    upload_session: int
    file: int
    status: UploadStatus
    message: str | None
    ground_truth_path: str | None = Field(description="The ground truth the phase keeps until the new one is in.")
    ground_truth_version: str | None
