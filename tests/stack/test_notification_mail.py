"""E-mails of notifications through the real hub, worker and Redis to a real SMTP server
(aiosmtpd) started by the test: a mail arrives for each event its person chose to get by e-mail,
and none is lost while that server is down."""

import uuid
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from hubtools import free_port_block, remove_home_volumes, running_hub
from runtools import wait_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_algorithms_through_hub import Client

from services.core.database import make_engine
from services.core.orm import MailStatus, Notification

pytestmark = pytest.mark.stack


class Inbox:
    """What the SMTP server received: each message with its envelope recipients."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address):
        return [mail for recipients, mail in self.mails if address in recipients]


class MailServer:
    """An aiosmtpd server on ``port`` that the test stops and starts again."""

    def __init__(self, port):
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


@pytest.fixture(scope="module")
def mail_server():
    server = MailServer(free_port_block(size=1, start=41000, stop=50000))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_hub(tmp_path_factory, mail_server):
    data_dir = tmp_path_factory.mktemp("gc-hub-mail")
    instance = f"gc-hub-mail{uuid.uuid4().hex[:6]}"
    # passes every 2 s and a wait of at most 4 s between tries: mails arrive soon after the server is back
    smtp = {
        "GC_SMTP_HOST": "127.0.0.1",
        "GC_SMTP_PORT": str(mail_server.port),
        "GC_SMTP_FROM": "challenges@gc-hub.test",
        "GC_RECONCILE_EVERY_S": "2",
        "GC_SMTP_RETRY_MAX_S": "4",
    }
    try:
        with running_hub(data_dir, instance=instance, extra_env=smtp) as hub:
            hub.database_url = f"sqlite:///{data_dir}/gc-hub.sqlite"
            yield hub
    finally:
        remove_home_volumes(instance)


def choose_email(client, address, *kinds):
    body = {"email": address, "deliveries": dict.fromkeys(kinds, "email")}
    client("PATCH", "challenges", "notifications/preferences", 200, json=body)


def mails_of(hub, username):
    engine = make_engine(hub.database_url)
    with Session(engine) as session:
        rows = session.scalars(select(Notification).filter_by(username=username).order_by(Notification.id)).all()
    engine.dispose()
    return rows


def test_mails_arrive_and_none_is_lost_while_the_server_is_down(mail_hub, mail_server):
    researcher, scientist = Client(mail_hub, "researcher"), Client(mail_hub, "datascientist")
    choose_email(researcher, "researcher@hospital.test", "join-request")
    choose_email(scientist, "scientist@lab.test", "join-request-answered")
    tag = uuid.uuid4().hex[:6]
    slugs = [f"mail-{tag}-{i}" for i in range(4)]
    for slug in slugs:
        researcher("POST", "challenges", "challenges", 201, json={"slug": slug, "title": f"Mail {slug}"})

    request = scientist("POST", "challenges", f"challenges/{slugs[0]}/join", 201, json={"message": "hello"}).json()
    researcher(
        "POST", "challenges", f"challenges/{slugs[0]}/join-requests/{request['id']}", 200, json={"decision": "accept"}
    )
    inbox = mail_server.inbox
    assert wait_for(lambda: inbox.to("researcher@hospital.test") and inbox.to("scientist@lab.test"), timeout=120)
    [asked] = inbox.to("researcher@hospital.test")
    assert (
        asked["Subject"].startswith("datascientist asks to join challenge")
        and asked["From"] == "challenges@gc-hub.test"
    )
    assert "hello" in asked.get_content() and f"/services/challenges/challenges/{slugs[0]}" in asked.get_content()
    [answered] = inbox.to("scientist@lab.test")
    assert "was accepted" in answered["Subject"]

    # The server goes away; three more events happen, and their mails are tried and fail.
    mail_server.stop()
    for slug in slugs[1:]:
        scientist("POST", "challenges", f"challenges/{slug}/join", 201, json={"message": slug})
    pending = lambda: [n for n in mails_of(mail_hub, "researcher") if n.mail_status == MailStatus.PENDING]  # noqa: E731
    assert wait_for(lambda: len(pending()) == 3 and all(n.mail_attempts >= 1 for n in pending()), timeout=120)
    assert all(n.mail_error for n in pending())
    assert len(inbox.to("researcher@hospital.test")) == 1

    # Back again: every mail arrives, once.
    mail_server.start()
    assert wait_for(lambda: len(inbox.to("researcher@hospital.test")) == 4, timeout=120)
    later = inbox.to("researcher@hospital.test")[1:]
    assert sorted(slug for slug in slugs[1:] for mail in later if f"'Mail {slug}'" in mail["Subject"]) == slugs[1:]
    assert wait_for(lambda: not pending(), timeout=60)
    assert {n.mail_status for n in mails_of(mail_hub, "researcher")} == {MailStatus.SENT}

    # In the platform too, and nobody else was told.
    listed = researcher("GET", "challenges", "notifications", 200).json()
    assert listed["count"] == 4 and researcher("GET", "challenges", "notifications/unread", 200).json()["unread"] == 4
    assert [n["kind"] for n in scientist("GET", "challenges", "notifications", 200).json()["results"]] == [
        "join-request-answered"
    ]
    assert mails_of(mail_hub, "clinician") == []
