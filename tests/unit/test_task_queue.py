"""The one queue module: each kind of work goes to its queue, under its RQ job id and time-out,
and a Redis that does not answer is reported as such (no Redis here: apptools.KeptQueue)."""

import importlib

import pytest
from apptools import KeptQueue
from redis.exceptions import ConnectionError as RedisConnectionError

from services.core.orm import AlgorithmJob, Evaluation
from services.queue import RUN_MARGIN_S, QueueName, QueueUnreachable, Task, TaskQueue


def test_runs_go_to_their_queue_under_one_job_id_per_attempt():
    queue = KeptQueue()
    queue.runs(
        [
            AlgorithmJob(id=3, attempt=2, gpu=False, time_limit_s=60),
            AlgorithmJob(id=4, attempt=1, gpu=True, time_limit_s=60),
            Evaluation(id=5, attempt=1, gpu=False, time_limit_s=120),
        ]
    )
    where = [(work.queue, work.task, work.arguments, work.options["job_id"]) for work in queue.queued]
    assert where == [
        (QueueName.CPU, Task.RUN_ALGORITHM_JOB, {"run_id": 3}, "algorithm-job-3-2"),
        (QueueName.GPU, Task.RUN_ALGORITHM_JOB, {"run_id": 4}, "algorithm-job-4-1"),
        (QueueName.EVALUATION, Task.RUN_EVALUATION, {"run_id": 5}, "evaluation-5-1"),
    ]
    assert queue.queued[2].options["job_timeout"] == 120 + RUN_MARGIN_S


def test_imports_intakes_builds_and_ground_truth_each_have_their_task_and_job_id():
    queue = KeptQueue()
    queue.import_upload(7, retried=True)
    queue.load_container_image(8)
    queue.build(9)
    queue.make_ground_truth(
        phase_id=1, upload_file_id=10, archive="ground-truth/c/p/incoming", folder="ground-truth/c/p"
    )
    assert [(work.queue, work.task, work.options["job_id"]) for work in queue.queued] == [
        (QueueName.IMPORT, Task.IMPORT_UPLOAD_SESSION, "import-upload-session-7"),
        (QueueName.CPU, Task.LOAD_CONTAINER_IMAGE, "container-image-8"),
        (QueueName.CPU, Task.BUILD_ALGORITHM_IMAGE, "build-9"),
        (QueueName.IMPORT, Task.MAKE_GROUND_TRUTH, "ground-truth-10"),
    ]
    assert queue.queued[0].options["meta"] == {"retried": True}


def test_every_task_names_a_function_that_exists():
    for task in Task:
        module, _, name = task.value.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), task


def test_a_redis_that_does_not_answer_is_reported_and_nothing_is_queued():
    queue = TaskQueue.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(QueueUnreachable, match="Redis did not take"):
        queue.build(1)
    kept = KeptQueue()
    kept.reachable = False
    with pytest.raises(QueueUnreachable) as raised:
        kept.import_upload(1)
    assert isinstance(raised.value.__cause__, RedisConnectionError) and kept.queued == []
