"""DELETE endpoints: who may delete, what goes with an object, and 409 while something uses it."""

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.errors import Conflict
from services.core.orm import Archive, Challenge, Phase, SocketValue, remove

RESEARCHER_SCOPES = [*apptools.USERS["researcher"]["scopes"], "custom:reader-studies:create"]


@pytest.fixture
def apps(database_url, monkeypatch):
    monkeypatch.setitem(apptools.USERS, "researcher", {**apptools.USERS["researcher"], "scopes": RESEARCHER_SCOPES})
    with (
        fake_hub_auth(monkeypatch),
        service_app("archives", database_url) as archives,
        service_app("challenges", database_url) as challenges,
    ):
        yield archives.call, challenges.call, database_url


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


def refused(response, status, fragment):
    code, body = response
    assert code == status and fragment in body["message"], body


@pytest.fixture
def world(apps):
    """Archive ``lungs`` (two cases; clinician: uploader) shown in reader study ``chest``, and
    challenge ``nodules`` whose phase ``final`` (after ``sanity``) tests on archive ``lungs``."""
    archives, challenges, _ = apps
    ok(archives("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"}), 201)
    ok(archives("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"}), 201)
    ok(archives("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "uploader"}), 201)
    items = [
        ok(archives("POST", "archives/lungs/items", "researcher", {"values": {"age": a}}), 201)["id"] for a in (40, 63)
    ]
    ok(archives("POST", "reader-studies", "researcher", {"slug": "chest", "title": "Chest"}), 201)
    ok(archives("POST", "reader-studies/chest/cases", "researcher", {"archive": "lungs"}), 201)
    ok(challenges("POST", "challenges", "researcher", {"slug": "nodules", "title": "Nodules"}), 201)
    ok(challenges("POST", "challenges/nodules/phases", "researcher", {"slug": "sanity", "title": "Sanity"}), 201)
    final = {"slug": "final", "title": "Final", "parent": "sanity", "archive": "lungs"}
    ok(challenges("POST", "challenges/nodules/phases", "researcher", final), 201)
    return {"items": items}


def test_an_archive_in_use_as_a_test_set_is_not_deleted(apps, world):
    archives, challenges, _ = apps
    refused(
        archives("DELETE", "archives/lungs", "researcher"),
        409,
        "is the hidden test set of phase 'final' of challenge 'nodules'",
    )
    assert ok(archives("GET", "archives/lungs/items", "researcher"))["count"] == 2
    ok(challenges("PATCH", "challenges/nodules/phases/final", "researcher", {"archive": None}))
    ok(archives("DELETE", "archives/lungs", "researcher"), 204)
    refused(archives("GET", "archives/lungs", "researcher"), 404, "No archive 'lungs'")
    cases = ok(archives("GET", "reader-studies/chest/cases", "researcher"))["results"]
    assert [c["values"] for c in cases] == [{"age": 40}, {"age": 63}]  # the values the study shares stay


def test_only_editors_delete_archives_and_their_cases(apps, world):
    archives, _, _ = apps
    refused(archives("DELETE", "archives/lungs", "clinician"), 403, "You may not delete this archive")
    refused(archives("DELETE", f"archives/lungs/items/{world['items'][0]}", "clinician"), 403, "delete this archive's")
    refused(archives("DELETE", "archives/lungs", "researcher2"), 404, "No archive 'lungs'")
    ok(archives("DELETE", f"archives/lungs/items/{world['items'][0]}", "researcher"), 204)
    refused(archives("DELETE", f"archives/lungs/items/{world['items'][0]}", "researcher"), 404, "has no case")
    assert [i["id"] for i in ok(archives("GET", "archives/lungs/items", "researcher"))["results"]] == world["items"][1:]


def test_a_phase_that_others_follow_is_not_deleted(apps, world):
    _, challenges, _ = apps
    refused(
        challenges("DELETE", "challenges/nodules/phases/sanity", "researcher"),
        409,
        "must be passed before submitting to final",
    )
    refused(challenges("DELETE", "challenges/nodules/phases/final", "researcher2"), 404, "has no phase")  # hidden
    ok(challenges("DELETE", "challenges/nodules/phases/final", "researcher"), 204)
    ok(challenges("DELETE", "challenges/nodules/phases/sanity", "researcher"), 204)
    assert ok(challenges("GET", "challenges/nodules/phases", "researcher"))["count"] == 0


def test_deleting_a_challenge_deletes_its_phases(apps, world):
    archives, challenges, database_url = apps
    refused(challenges("DELETE", "challenges/nodules", "researcher2"), 403, "Only the admins")
    ok(challenges("DELETE", "challenges/nodules", "researcher"), 204)
    refused(challenges("GET", "challenges/nodules", "researcher"), 404, "no challenge")
    with Session(make_engine(database_url)) as session:
        assert session.scalar(select(func.count()).select_from(Phase)) == 0
    ok(archives("DELETE", "archives/lungs", "researcher"), 204)  # no longer a test set


def test_a_challenge_keeps_an_admin(apps, world):
    _, challenges, _ = apps
    refused(challenges("DELETE", "challenges/nodules/admins?username=researcher", "researcher"), 409, "last admin")
    ok(challenges("POST", "challenges/nodules/admins", "researcher", {"username": "researcher2"}), 201)
    ok(challenges("DELETE", "challenges/nodules/admins?username=researcher", "researcher"), 204)
    assert ok(challenges("GET", "challenges/nodules/admins", "researcher2")) == {"admins": ["researcher2"]}
    refused(challenges("DELETE", "challenges/nodules", "researcher"), 403, "Only the admins")


def test_reader_study_questions_members_and_the_study(apps, world):
    archives, _, _ = apps
    questions = [
        ok(archives("POST", "reader-studies/chest/questions", "researcher", {"text": t, "kind": "bool"}), 201)
        for t in ("First?", "Second?", "Third?")
    ]
    ok(archives("POST", "reader-studies/chest/members", "researcher", {"username": "clinician", "role": "reader"}), 201)
    case = ok(archives("GET", "reader-studies/chest/cases", "clinician"))["results"][0]["id"]
    answer = {"question": questions[1]["id"], "case": case, "value": True}
    ok(archives("POST", "reader-studies/chest/answers", "clinician", answer), 201)
    refused(
        archives("DELETE", f"reader-studies/chest/questions/{questions[1]['id']}", "clinician"), 403, "ask an editor"
    )
    ok(archives("DELETE", f"reader-studies/chest/questions/{questions[1]['id']}", "researcher"), 204)
    left = ok(archives("GET", "reader-studies/chest/questions", "researcher"))["results"]
    assert [(q["position"], q["text"]) for q in left] == [(0, "First?"), (1, "Third?")]
    assert ok(archives("GET", "reader-studies/chest/answers", "researcher"))["count"] == 0
    refused(
        archives("DELETE", "reader-studies/chest/members?username=researcher&role=editor", "researcher"),
        409,
        "last editor",
    )
    ok(archives("DELETE", "reader-studies/chest/members?username=clinician&role=reader", "researcher"), 204)
    refused(archives("GET", "reader-studies/chest", "clinician"), 404, "No reader study")
    ok(archives("DELETE", "reader-studies/chest", "researcher"), 204)
    refused(archives("GET", "reader-studies/chest", "researcher"), 404, "No reader study")
    assert ok(archives("GET", "archives/lungs/items", "researcher"))["count"] == 2


def test_a_hidden_test_set_needs_the_archive_editor_role(apps, world):
    archives, challenges, _ = apps
    ok(archives("POST", "archives", "researcher2", {"slug": "theirs", "title": "Theirs"}), 201)
    ok(archives("POST", "archives/theirs/members", "researcher2", {"username": "researcher", "role": "user"}), 201)
    body = {"archive": "theirs"}
    refused(
        challenges("PATCH", "challenges/nodules/phases/final", "researcher", body),
        403,
        "only editors of archive 'theirs' may make it a hidden test set",
    )
    assert ok(challenges("GET", "challenges/nodules/phases/final", "researcher"))["archive"] == "lungs"
    ok(archives("POST", "archives/theirs/members", "researcher2", {"username": "researcher", "role": "editor"}), 201)
    assert ok(challenges("PATCH", "challenges/nodules/phases/final", "researcher", body))["archive"] == "theirs"


def test_remove_refuses_what_is_still_referenced_and_rolls_back(apps, world):
    """The database's RESTRICT keys are the backstop: nothing is partly deleted."""
    _, _, database_url = apps
    with Session(make_engine(database_url)) as session:
        archive = session.scalar(select(Archive).filter_by(slug="lungs"))
        values = session.scalar(select(func.count()).select_from(SocketValue))
        with pytest.raises(Conflict, match="An archive with slug 'lungs' is still used elsewhere"):
            remove(session, archive)
        assert session.scalar(select(Archive.id).filter_by(slug="lungs")) is not None
        assert session.scalar(select(func.count()).select_from(SocketValue)) == values
        assert session.scalar(select(Challenge.id).filter_by(slug="nodules")) is not None
