"""Notifications: what happened that a person should know, written in the same transaction as the
change that caused it (``notify``, called where the change is made), so that a change that rolled
back tells nobody and one that committed is never left untold.

Each person chooses per kind of event how to hear of it (``Delivery``): in the platform (the
bell), also by e-mail, or not at all. A notification to be mailed carries its mail's state
(``MailStatus``); a worker sends it (services/tasks/mail.py), retrying while the mail server is
away, so no mail is lost.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..database import PooledQuery
from ..errors import InvalidValue
from .base import Base, utcnow


class NotificationKind(StrEnum):
    """The events that people are told of."""

    SUBMISSION_SUCCEEDED = "submission-succeeded"
    SUBMISSION_FAILED = "submission-failed"
    JOB_ENDED = "job-ended"
    IMPORT_ENDED = "import-ended"
    JOIN_REQUEST = "join-request"
    JOIN_REQUEST_ANSWERED = "join-request-answered"
    TEAM_INVITATION = "team-invitation"
    READER_STUDY_ASSIGNED = "reader-study-assigned"
    PHASE_OPENING = "phase-opening"
    PHASE_CLOSING = "phase-closing"
    RANK_CHANGED = "rank-changed"


# Each kind in words, for the preferences page and the e-mails.
KIND_WORDS = {
    NotificationKind.SUBMISSION_SUCCEEDED: "A submission of mine was evaluated",
    NotificationKind.SUBMISSION_FAILED: "A submission of mine failed",
    NotificationKind.JOB_ENDED: "An algorithm job of mine ended",
    NotificationKind.IMPORT_ENDED: "An upload of mine was imported, or failed",
    NotificationKind.JOIN_REQUEST: "Someone asks to join a challenge I run",
    NotificationKind.JOIN_REQUEST_ANSWERED: "My request to join a challenge was answered",
    NotificationKind.TEAM_INVITATION: "I am invited into a team",
    NotificationKind.READER_STUDY_ASSIGNED: "A reader study was given to me to read",
    NotificationKind.PHASE_OPENING: "A phase of my challenge opens within a day",
    NotificationKind.PHASE_CLOSING: "A phase of my challenge closes within a day",
    NotificationKind.RANK_CHANGED: "My rank on a leaderboard changed",
}


class Delivery(StrEnum):
    """How a person hears of one kind of event."""

    PLATFORM = "platform"  # the bell and the notifications page
    EMAIL = "email"  # the bell, and an e-mail
    OFF = "off"


class MailStatus(StrEnum):
    """The e-mail of a notification: waiting to be sent (or sent again after a failure), or sent."""

    PENDING = "pending"
    SENT = "sent"


class Notification(Base):
    """One event told to one person (``username``). ``key`` names the event for notifications
    that a periodic pass may find twice (a phase closing soon): one per person and key."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("username", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[NotificationKind]
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_status: Mapped[MailStatus | None] = mapped_column(index=True)
    mail_to: Mapped[str | None] = mapped_column(String(320))
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_due_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(Text)
    mail_sent_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """How ``username`` hears of events of ``kind``; without a row, in the platform."""

    __tablename__ = "notification_preferences"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(default=Delivery.PLATFORM)


class ToldRank(Base):
    """The rank of ``username`` on a phase's public leaderboard when they were last told of it,
    at the phase's ``results_version`` then: kept only to tell people when it changes (the
    leaderboards themselves rank on read)."""

    __tablename__ = "told_ranks"

    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    rank: Mapped[int]
    results_version: Mapped[str] = mapped_column(String(32))


class MailAddress(Base):
    """Where ``username``'s e-mails go (hub users have no address of their own)."""

    __tablename__ = "mail_addresses"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    address: Mapped[str] = mapped_column(String(320))


def check_address(address):
    """``address`` stripped, if it looks like an e-mail address; InvalidValue says what is wrong."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() or c in "<>,;\"'" for c in address):
        raise InvalidValue(f"{address!r} is not an e-mail address: write it as name@example.org")
    if len(address) > 320:
        raise InvalidValue("the e-mail address is longer than 320 characters")
    return address


def deliveries(session, usernames, kind):
    """``{username: Delivery}`` of ``usernames`` for events of ``kind``."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.username, NotificationPreference.delivery).where(
                NotificationPreference.kind == kind, NotificationPreference.username.in_(usernames)
            )
        ).all()
    )
    return {name: chosen.get(name, Delivery.PLATFORM) for name in usernames}


def notify(session, kind, recipients, *, subject, message="", url="", key=None):
    """Tell ``recipients`` (hub usernames) of an event of ``kind``: a Notification row each, as
    they chose (none for those who turned ``kind`` off; a pending mail for those who chose e-mail
    and gave an address). Added to ``session``, which the caller commits with the change itself.
    With a ``key``, those told of that key before are not told again. Returns the new rows."""
    recipients = sorted(set(recipients))
    if not recipients:
        return []
    chosen = deliveries(session, recipients, kind)
    addresses = dict(
        session.execute(
            select(MailAddress.username, MailAddress.address).where(MailAddress.username.in_(recipients))
        ).all()
    )
    told = set()
    if key is not None:
        told = set(
            session.scalars(
                select(Notification.username).where(Notification.key == key, Notification.username.in_(recipients))
            )
        )
    made = []
    for username in recipients:
        if chosen[username] == Delivery.OFF or username in told:
            continue
        mailed = chosen[username] == Delivery.EMAIL and username in addresses
        notification = Notification(
            username=username,
            kind=kind,
            subject=subject[:255],
            message=message,
            url=url,
            key=key,
            mail_status=MailStatus.PENDING if mailed else None,
            mail_to=addresses.get(username) if mailed else None,
            mail_due_at=utcnow() if mailed else None,
        )
        session.add(notification)
        made.append(notification)
    return made


# Made once: every page counts its user's unread notifications for the bell.
UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.username == bindparam("username"), Notification.read_at.is_(None))
)
POOLED_UNREAD = PooledQuery(UNREAD)


def unread_count(session, username):
    """How many of ``username``'s notifications are unread (``session``'s pending ones too)."""
    session.flush()  # nothing to do unless something is pending
    return session.connection().execute(UNREAD, {"username": username}).scalar()


def committed_unread_count(engine, username):
    """How many of ``username``'s notifications are unread, as committed; without a session."""
    return POOLED_UNREAD.scalar(engine, username=username)
