"""Runs survive their worker being killed and Redis losing its data; cancelling kills the container."""

import pytest
import SimpleITK as sitk
from runtools import ExecutionPlatform, script_image, wait_for
from sqlalchemy.orm import Session

from services.core.orm import AlgorithmJob, JobStatus, UploadFile, UploadSession, UploadStatus, advance
from services.queue import connect

pytestmark = pytest.mark.stack

SLOW = (
    "import json, time\nprint('started', flush=True)\ntime.sleep(4)\n"
    "json.dump({'slept': 4}, open('/output/result.json', 'w'))\n"
)


@pytest.fixture
def platform(tmp_path):
    platform = ExecutionPlatform(tmp_path)
    platform.slow_image = script_image(platform.docker, "slow", SLOW)
    platform.sleeper_image = script_image(
        platform.docker, "sleeper", "import time\nprint('started', flush=True)\ntime.sleep(3600)\n"
    )
    yield platform
    platform.close()


def running_containers(platform):
    return platform.docker.containers.list(filters={"label": f"org.gc-hub.instance={platform.instance}"})


def test_a_job_lost_with_its_worker_is_cleaned_up_and_retried_once(platform):
    worker = platform.start_worker()
    job_id = platform.queue_job(platform.slow_image)
    assert wait_for(lambda: platform.job(job_id).status == "executing" and running_containers(platform))
    worker.kill_hard()
    assert running_containers(platform), "the container outlives its worker, as on a dead node"

    platform.start_worker()  # a new worker finds the lost run, removes its container, retries it
    job = platform.wait_until_done(job_id)
    assert job.status == "succeeded", job.error_message
    assert job.attempt == 2
    assert job.output_values["result"].value == {"slept": 4}


def test_a_job_lost_twice_fails_with_a_message(platform):
    job_id = platform.queue_job(platform.slow_image)

    def executing(attempt):
        return lambda: (platform.job(job_id).attempt, platform.job(job_id).status) == (attempt, "executing")

    for attempt in (1, 2):
        worker = platform.start_worker()
        assert wait_for(executing(attempt))
        worker.kill_hard()
    platform.start_worker()
    job = platform.wait_until_done(job_id)
    assert job.status == "failed"
    assert "stopped responding, 2 times; the job was given up" in job.error_message
    assert wait_for(lambda: not running_containers(platform))


def test_jobs_queued_when_redis_lost_its_data_still_run(platform):
    platform.start_worker()
    running = platform.queue_job(platform.slow_image)
    assert wait_for(lambda: platform.job(running).status == "executing")
    waiting = [platform.queue_job(platform.slow_image) for _ in range(2)]
    platform.redis.stop()
    platform.redis.start()  # empty: no queues, no jobs, no workers
    assert connect(platform.redis.url).dbsize() == 0
    for job_id in [running, *waiting]:
        job = platform.wait_until_done(job_id, timeout=120)
        assert job.status == "succeeded", (job_id, job.error_message)


def test_cancelling_a_running_job_kills_its_container(platform):
    platform.start_worker()
    job_id = platform.queue_job(platform.sleeper_image, time_limit_s=7200)
    assert wait_for(lambda: any(b"started" in c.logs() for c in running_containers(platform)))
    with Session(platform.engine) as session:
        advance(session.get(AlgorithmJob, job_id), JobStatus.CANCELLED)
        session.commit()
    # It would sleep for an hour: gone within a minute means it was killed.
    assert wait_for(lambda: not running_containers(platform), timeout=60)
    job = platform.wait_until_done(job_id)
    assert job.status == "cancelled"
    # The row was cancelled above; the worker keeps the container's logs once it has read them.
    assert wait_for(lambda: "started" in (platform.job(job_id).stdout_tail or ""))


def test_a_cancelled_queued_job_never_runs(platform):
    job_id = platform.queue_job(platform.slow_image)
    with Session(platform.engine) as session:
        advance(session.get(AlgorithmJob, job_id), JobStatus.CANCELLED)
        session.commit()
    platform.start_worker()
    follower = platform.wait_until_done(platform.queue_job(platform.slow_image))
    assert follower.status == "succeeded"
    assert platform.job(job_id).status == "cancelled" and platform.job(job_id).started_at is None


def test_an_import_that_redis_lost_is_queued_again(platform, tmp_path):
    """An upload session left importing with no job in Redis (Redis restarted) still imports."""
    image = sitk.Image([16, 16, 4], sitk.sitkInt16)
    with Session(platform.engine) as session:
        upload = UploadSession(owner="researcher", status=UploadStatus.IMPORTING)
        file = UploadFile(upload_session=upload, filename="scan.mha", size=1, received=1)
        session.add(file)
        session.commit()
        path = platform.data_dir / file.upload_path
        path.parent.mkdir(parents=True)
        sitk.WriteImage(image, str(path))
        upload_id = upload.id
    platform.start_worker(queues=("import",))

    def imported():
        with Session(platform.engine) as session:
            return session.get(UploadSession, upload_id).status == UploadStatus.SUCCEEDED

    assert wait_for(imported, timeout=60), platform.workers[-1].output()[-2000:]
