"""The demo content that `gc-hub up` puts in an empty platform: an archive and a challenge.

Made once (nothing is touched when the demo archive exists already), straight into the platform
database, with the demo users of hub_config in their roles: the researcher edits the archive and
runs the challenge, the data scientist takes part, the clinician reads the archive.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .core.database import make_engine
from .core.migrations import upgrade
from .core.orm import (
    Archive,
    ArchiveItem,
    ArchiveRole,
    Challenge,
    ChallengeRole,
    Phase,
    Socket,
    SocketKind,
    SubmissionKind,
    Visibility,
    grant,
    make_value,
    utcnow,
)

ARCHIVE = "demo-archive"
CHALLENGE = "demo-challenge"
CASES = [{"age": 63, "sex": "F"}, {"age": 48, "sex": "M"}, {"age": 71, "sex": "M"}]


def seed_demo(database_url, researcher="researcher", scientist="datascientist", clinician="clinician"):
    """Create the demo archive and challenge unless they exist; return what was made."""
    upgrade(database_url)
    with Session(make_engine(database_url)) as session:
        if session.scalar(select(Archive).filter_by(slug=ARCHIVE)):
            return []
        sockets = {
            "age": Socket(slug="age", title="Age", kind=SocketKind.INTEGER, created_by=researcher),
            "sex": Socket(slug="sex", title="Sex", kind=SocketKind.STRING, created_by=researcher),
        }
        for socket in sockets.values():
            if existing := session.scalar(select(Socket).filter_by(slug=socket.slug)):
                sockets[socket.slug] = existing
            else:
                session.add(socket)
        archive = Archive(slug=ARCHIVE, title="Demo archive", created_by=researcher,
                          description="Synthetic cases to try the platform with.")
        session.add(archive)
        for case in CASES:
            item = ArchiveItem(archive=archive)
            item.values = [make_value(session, sockets[k], value=v) for k, v in case.items()]
            session.add(item)
        challenge = Challenge(slug=CHALLENGE, title="Demo challenge", created_by=researcher,
                              description="A challenge to try submissions and leaderboards with.")
        session.add(challenge)
        now = utcnow()
        sanity = Phase(challenge=challenge, slug="sanity-check", title="Sanity check",
                       submission_kind=SubmissionKind.PREDICTIONS, visibility=Visibility.PUBLIC,
                       opens_at=now, closes_at=now + timedelta(days=90))
        final = Phase(challenge=challenge, slug="final", title="Final test", parent=sanity,
                      submission_kind=SubmissionKind.PREDICTIONS, visibility=Visibility.PARTICIPANTS,
                      opens_at=now, closes_at=now + timedelta(days=90), submissions_limit=3,
                      submissions_period_days=1)
        session.add_all([sanity, final])
        session.flush()
        grant(session, archive, researcher, ArchiveRole.EDITOR)
        grant(session, archive, clinician, ArchiveRole.USER)
        grant(session, archive, scientist, ArchiveRole.USER)
        grant(session, challenge, researcher, ChallengeRole.ADMIN)
        grant(session, challenge, scientist, ChallengeRole.PARTICIPANT)
        session.commit()
    return [f"archive {ARCHIVE} ({len(CASES)} cases)", f"challenge {CHALLENGE} (phases sanity-check, final)"]
