"""The named sets of statuses in services/core/status.py say what their members have in common."""

from services.core.status import JOB_ACTIVE, JOB_STARTED, JOB_UNSUCCESSFUL, UPLOAD_OPEN, JobStatus, UploadStatus


def test_active_runs_and_open_uploads_are_those_that_have_not_ended():
    assert set(JOB_ACTIVE) == {status for status in JobStatus if not status.is_terminal}
    assert set(UPLOAD_OPEN) == {status for status in UploadStatus if not status.is_terminal}


def test_a_started_run_is_an_active_one_past_the_queue():
    assert set(JOB_STARTED) == set(JOB_ACTIVE) - {JobStatus.QUEUED}


def test_an_unsuccessful_run_ended_without_succeeding():
    ended = {status for status in JobStatus if status.is_terminal}
    assert set(JOB_UNSUCCESSFUL) == ended - {JobStatus.SUCCEEDED}
