"""Logins in progress are kept in the platform database: a login that one process of a service
started, another finishes; no other service, and nobody after the login's time, may."""

from datetime import timedelta

from sqlalchemy import update

from services.core.database import make_engine
from services.core.migrations import upgrade
from services.core.orm import OAuthState, utcnow
from services.web.hub_login import SharedHubOAuth


def test_a_login_started_in_one_process_is_finished_in_another(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    started_by, finished_by = (SharedHubOAuth(engine=engine, service="challenges") for _ in range(2))
    state = started_by.generate_state("/services/challenges/challenges/x", code_verifier="verifier", cookie_name="c-1")
    assert finished_by.get_next_url(state) == "/services/challenges/challenges/x"
    assert finished_by.get_code_verifier(state) == "verifier"
    assert finished_by.get_state_cookie_name(state) == "c-1"
    assert SharedHubOAuth(engine=engine, service="archives").get_code_verifier(state) is None
    finished_by.clear_oauth_state(state)
    assert started_by.get_code_verifier(state) is None  # used once
    assert finished_by.get_next_url("not-a-state") == finished_by.base_url
    engine.dispose()


def test_a_login_left_unfinished_expires_and_is_cleared_by_the_next_one(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    auth = SharedHubOAuth(engine=engine, service="leaderboard")
    old = auth.generate_state("/old", code_verifier="old")
    with engine.begin() as connection:
        too_old = utcnow() - timedelta(seconds=auth.oauth_state_max_age + 1)
        connection.execute(update(OAuthState).where(OAuthState.id == old).values(created_at=too_old))
    assert auth.get_code_verifier(old) is None
    new = auth.generate_state("/new")
    with engine.connect() as connection:
        assert connection.execute(OAuthState.__table__.select()).all()[0].id == new
    engine.dispose()
