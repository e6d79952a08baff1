"""The services' access log: reads that succeeded are debug lines (a deadline's polls of a
leaderboard would otherwise be most of the log and a tenth of the work); what changes something,
fails or is slow stays in view (services/web/app.py: log_request)."""

import logging

import pytest
from apptools import fake_hub_auth, service_app

from services.web import app as service_apps


@pytest.fixture
def leaderboard(tmp_path, monkeypatch):
    with fake_hub_auth(monkeypatch), service_app("leaderboard", f"sqlite:///{tmp_path}/gc.sqlite") as app:
        yield app


def access_lines(caplog):
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "tornado.access"]


def test_reads_that_succeed_are_debug_lines_and_the_rest_stay_in_view(leaderboard, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG, logger="tornado.access")
    assert leaderboard.get("api/v1/leaderboards", "datascientist").code == 404  # no such route
    assert leaderboard.get("", "datascientist").code == 200
    assert leaderboard.call("POST", "leaderboards/none/final", "datascientist", {})[0] == 405
    levels = [(level, message.split(" ")[:2]) for level, message in access_lines(caplog)]
    assert levels == [
        (logging.WARNING, ["404", "GET"]),
        (logging.DEBUG, ["200", "GET"]),
        (logging.WARNING, ["405", "POST"]),
    ]
    caplog.clear()
    monkeypatch.setattr(service_apps, "SLOW_READ_S", 0.0)  # every read is slow now: said at info
    assert leaderboard.get("", "datascientist").code == 200
    assert [level for level, _ in access_lines(caplog)] == [logging.INFO]
