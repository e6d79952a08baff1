"""Notifications through the challenges service's API (in-process, real database): written with
the change that causes them and only then, each person's own, marked read, and delivered as each
person chose."""

import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_deletes import ok

from services.core.database import make_engine
from services.core.orm import MailStatus, Notification


@pytest.fixture
def challenges(monkeypatch, tmp_path):
    with fake_hub_auth(monkeypatch), service_app("challenges", f"sqlite:///{tmp_path}/gc.sqlite") as app:
        yield app


def mine(app, user, query=""):
    return ok(app.call("GET", f"notifications{query}", user))["results"]


def unread(app, user):
    return ok(app.call("GET", "notifications/unread", user))["unread"]


def test_a_join_request_tells_the_admins_and_its_answer_tells_the_asker(challenges):
    ok(challenges.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"}), 201)
    ok(challenges.call("POST", "challenges/lungs/admins", "researcher", {"username": "researcher2"}), 201)
    request = ok(challenges.call("POST", "challenges/lungs/join", "datascientist", {"message": "let me in"}), 201)
    for admin in ("researcher", "researcher2"):
        [told] = mine(challenges, admin)
        assert told["kind"] == "join-request" and "datascientist asks to join" in told["subject"]
        assert told["message"] == "let me in" and told["url"].endswith("/challenges/lungs")
    assert mine(challenges, "datascientist") == [] and mine(challenges, "clinician") == []

    # A request that is refused (pending already) changes nothing, so tells nobody.
    assert challenges.call("POST", "challenges/lungs/join", "datascientist", {})[0] == 409
    assert unread(challenges, "researcher") == 1

    url = f"challenges/lungs/join-requests/{request['id']}"
    ok(challenges.call("POST", url, "researcher", {"decision": "accept"}))
    [answer] = mine(challenges, "datascientist")
    assert answer["kind"] == "join-request-answered" and "was accepted" in answer["subject"]


def test_nobody_reads_or_marks_another_persons_notifications(challenges):
    ok(challenges.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"}), 201)
    ok(challenges.call("POST", "challenges/lungs/join", "datascientist", {}), 201)
    [theirs] = mine(challenges, "researcher")
    marked = ok(challenges.call("POST", "notifications/read", "datascientist", {"ids": [theirs["id"]]}))
    assert marked == {"marked": 0, "unread": 0}
    assert unread(challenges, "researcher") == 1 and mine(challenges, "datascientist") == []

    assert ok(challenges.call("POST", "notifications/read", "researcher", {"ids": [theirs["id"]]}))["marked"] == 1
    assert unread(challenges, "researcher") == 0
    assert mine(challenges, "researcher", "?unread=true") == [] and len(mine(challenges, "researcher")) == 1


def test_marking_needs_ids_or_all(challenges):
    code, body = challenges.call("POST", "notifications/read", "researcher", {})
    assert code == 400 and '{"all": true}' in body["message"]
    code, body = challenges.call("POST", "notifications/read", "researcher", {"ids": ["one"]})
    assert code == 400 and "ids must be a list of notification ids" in body["message"]
    assert challenges.call("GET", "notifications?unread=maybe", "researcher")[0] == 400


def test_each_person_chooses_how_to_hear_of_each_kind(challenges, tmp_path):
    preferences = ok(challenges.call("GET", "notifications/preferences", "researcher"))
    assert preferences["email"] is None
    assert {p["kind"]: p["delivery"] for p in preferences["preferences"]}["join-request"] == "platform"

    code, body = challenges.call("PATCH", "notifications/preferences", "researcher", {"email": "not an address"})
    assert code == 422 and "name@example.org" in body["message"]
    code, body = challenges.call(
        "PATCH", "notifications/preferences", "researcher", {"deliveries": {"join-request": "pigeon"}}
    )
    assert code == 400 and "pigeon" in body["message"]

    body = {"email": "res@example.org", "deliveries": {"join-request": "email"}}
    changed = ok(challenges.call("PATCH", "notifications/preferences", "researcher", body))
    assert changed["email"] == "res@example.org"
    ok(
        challenges.call(
            "PATCH", "notifications/preferences", "datascientist", {"deliveries": {"join-request-answered": "off"}}
        )
    )

    ok(challenges.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"}), 201)
    request = ok(challenges.call("POST", "challenges/lungs/join", "datascientist", {}), 201)
    ok(challenges.call("POST", f"challenges/lungs/join-requests/{request['id']}", "researcher", {"decision": "reject"}))
    assert mine(challenges, "datascientist") == []  # turned off
    with Session(make_engine(f"sqlite:///{tmp_path}/gc.sqlite")) as session:
        [mailed] = session.scalars(select(Notification).filter_by(username="researcher")).all()
        assert (mailed.mail_status, mailed.mail_to, mailed.mail_attempts) == (MailStatus.PENDING, "res@example.org", 0)
    assert challenges.queue.queued == []  # the request queues no mail: a worker's pass does
