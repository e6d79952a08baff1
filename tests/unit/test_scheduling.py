"""What a submission needs run next (services/scheduling.py), on a real SQLite database."""

import pytest
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.migrations import upgrade
from services.core.orm import (
    Algorithm,
    AlgorithmInterface,
    AlgorithmJob,
    AlgorithmModel,
    Archive,
    ArchiveItem,
    Challenge,
    Evaluation,
    JobStatus,
    Phase,
    Socket,
    Submission,
    SubmissionKind,
    UploadStatus,
    activate,
    advance,
    make_value,
)
from services.scheduling import next_runs


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path}/gc.sqlite"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def algorithm_submission(db, cases=5, concurrency=2):
    number = Socket(slug="number", title="Number", kind="integer", created_by="r")
    archive = Archive(slug="cases", title="Cases", created_by="r")
    archive.items = [ArchiveItem(values=[make_value(db, number, value=i)]) for i in range(cases)]
    interface = AlgorithmInterface(inputs=[number], outputs=[])
    algorithm = Algorithm(
        slug="alg",
        title="Alg",
        created_by="d",
        interfaces=[interface],
        container_image="x",
        container_digest="sha256:1",
    )
    phase = Phase(challenge=Challenge(slug="c", title="C", created_by="r"), slug="final", title="Final",
                  submission_kind=SubmissionKind.ALGORITHM, archive=archive, algorithm_concurrency=concurrency,
                  time_limit_s=77, algorithm_interfaces=[interface])  # fmt: skip
    weights = AlgorithmModel(
        algorithm=algorithm, filename="w.tar.gz", tarball_path="w", created_by="d", status=UploadStatus.SUCCEEDED
    )
    submission = Submission(phase=phase, creator="d", algorithm=algorithm, algorithm_digest="sha256:1",
                            algorithm_model=weights)  # fmt: skip
    db.add(submission)
    db.flush()
    return submission


def finish(db, runs, status=JobStatus.SUCCEEDED, message=""):
    for run in runs:
        for step in (JobStatus.PROVISIONING, JobStatus.EXECUTING, status):
            if run.status.can_become(step):
                advance(run, step)
        run.error_message = message
    db.flush()


def test_a_canary_first_then_the_rest_under_the_cap_then_the_evaluation(db):
    submission = algorithm_submission(db)
    canary = next_runs(db, submission)
    assert [type(run) for run in canary] == [AlgorithmJob]
    assert canary[0].archive_item.values[0].value == 0 and canary[0].time_limit_s == 77
    assert canary[0].container_digest == "sha256:1"  # pinned at submission time
    assert canary[0].algorithm_model is submission.algorithm_model
    assert next_runs(db, submission) == []  # nothing more while the canary runs
    finish(db, canary)
    submission.algorithm.container_digest = "sha256:2"  # a new image and model meanwhile
    newer = AlgorithmModel(algorithm=submission.algorithm, filename="new.tar.gz", tarball_path="n", created_by="d",
                           status=UploadStatus.SUCCEEDED)  # fmt: skip
    db.add(newer)
    activate(db, newer)
    batch = next_runs(db, submission)
    assert len(batch) == 2  # the concurrency cap
    assert {(job.container_digest, job.algorithm_model.filename) for job in batch} == {("sha256:1", "w.tar.gz")}
    finish(db, batch[:1], JobStatus.FAILED, "boom")
    assert len(next_runs(db, submission)) == 1  # one slot freed
    finish(db, db.query(AlgorithmJob).filter(AlgorithmJob.status == JobStatus.QUEUED).all())
    last = next_runs(db, submission)
    assert len(last) == 1 and last[0].archive_item.values[0].value == 4
    assert next_runs(db, submission) == []  # the evaluation waits for the last case
    finish(db, last)
    final = next_runs(db, submission)
    assert len(final) == 1 and isinstance(final[0], Evaluation)
    assert len(final[0].algorithm_jobs) == 4  # the successful ones; the failed case counts as missing
    assert final[0].algorithm_digest == "sha256:1"
    assert next_runs(db, submission) == []


def test_a_failed_canary_ends_the_submission_without_saying_how_it_failed(db):
    submission = algorithm_submission(db)
    canary = next_runs(db, submission)
    finish(db, canary, JobStatus.FAILED, "the container ran out of memory (limit 1 GB)")
    assert next_runs(db, submission) == []
    evaluation = submission.evaluations[0]
    assert evaluation.status == JobStatus.FAILED
    assert evaluation.error_message == (
        "the algorithm failed on the first case, so the others were not run; "
        "that case's job says why where you may read the case"
    )  # the first case may be hidden: how the job failed is for those who may read it
    assert db.query(AlgorithmJob).count() == 1


def test_a_predictions_submission_is_evaluated_at_once(db):
    submission = algorithm_submission(db)
    submission.algorithm, submission.predictions_path = None, "submissions/1/x.zip"
    runs = next_runs(db, submission)
    assert [type(run) for run in runs] == [Evaluation] and runs[0].algorithm_jobs == []
