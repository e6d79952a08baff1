"""Who may do what on one object: per-object roles of hub usernames, and requests to join."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..errors import InvalidValue, noun, with_article
from ..status import JoinRequestStatus, advance
from .algorithms import Algorithm
from .archives import Archive
from .base import Base, parent_key, utcnow
from .challenges import Challenge
from .reader_studies import ReaderStudy


class ChallengeRole(StrEnum):
    ADMIN = "admin"
    PARTICIPANT = "participant"


class ArchiveRole(StrEnum):
    EDITOR = "editor"
    UPLOADER = "uploader"
    USER = "user"


class AlgorithmRole(StrEnum):
    EDITOR = "editor"
    USER = "user"


class ReaderStudyRole(StrEnum):
    EDITOR = "editor"
    READER = "reader"


class _Member:
    """A hub username holding a role on one object of the ``_owner`` table, removed with it."""

    _owner: str

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def object_id(cls) -> Mapped[int]:
        return mapped_column(cls._owner_column(), ForeignKey(f"{cls._owner}.id", ondelete="CASCADE"))

    @declared_attr.directive
    def __table_args__(cls):
        # (username, object): what "the objects this user holds a role on" lists and counts use.
        by_user = Index(f"ix_{cls.__tablename__}_username_object", "username", cls._owner_column())
        return (UniqueConstraint(cls._owner_column(), "username", "role"), by_user)

    @classmethod
    def _owner_column(cls):
        """``challenge_id`` in ``challenge_members``."""
        return cls.__tablename__.removesuffix("_members") + "_id"


class ChallengeMember(_Member, Base):
    __tablename__ = "challenge_members"
    _owner = "challenges"
    role: Mapped[ChallengeRole]


class ArchiveMember(_Member, Base):
    __tablename__ = "archive_members"
    _owner = "archives"
    role: Mapped[ArchiveRole]


class AlgorithmMember(_Member, Base):
    __tablename__ = "algorithm_members"
    _owner = "algorithms"
    role: Mapped[AlgorithmRole]


class ReaderStudyMember(_Member, Base):
    __tablename__ = "reader_study_members"
    _owner = "reader_studies"
    role: Mapped[ReaderStudyRole]


MEMBERS = {
    Challenge: (ChallengeMember, ChallengeRole),
    Archive: (ArchiveMember, ArchiveRole),
    Algorithm: (AlgorithmMember, AlgorithmRole),
    ReaderStudy: (ReaderStudyMember, ReaderStudyRole),
}


def _model_and_role(session, obj, role):
    """The member model of ``obj``'s kind and ``role`` as its enum; InvalidValue for another role.
    ``obj`` is flushed first if it has no id yet."""
    member, roles = MEMBERS[type(obj)]
    try:
        role = roles(role)
    except ValueError:
        choices = ", ".join(roles)
        raise InvalidValue(f"{role!r} is not a role on {with_article(noun(obj))}; choose from {choices}") from None
    if obj.id is None:
        session.flush()
    return member, role


def has_role(session, obj, username, role):
    """Whether ``username`` holds ``role`` on ``obj`` (a challenge, archive, algorithm or reader study)."""
    member, role = _model_and_role(session, obj, role)
    query = select(member.id).filter_by(object_id=obj.id, username=username, role=role)
    return session.scalar(query) is not None


def grant(session, obj, username, role):
    """Give ``username`` ``role`` on ``obj``; nothing changes if they hold it already."""
    if not has_role(session, obj, username, role):
        member, role = _model_and_role(session, obj, role)
        session.add(member(object_id=obj.id, username=username, role=role))


def revoke(session, obj, username, role):
    """Take ``role`` on ``obj`` from ``username``; nothing changes if they do not hold it."""
    member, role = _model_and_role(session, obj, role)
    session.execute(delete(member).filter_by(object_id=obj.id, username=username, role=role))


def usernames(session, obj, role):
    """The usernames holding ``role`` on ``obj``, sorted."""
    member, role = _model_and_role(session, obj, role)
    query = select(member.username).filter_by(object_id=obj.id, role=role).order_by(member.username)
    return list(session.scalars(query))


class JoinRequest(Base):
    """Someone asking to take part in a challenge; an admin accepts or rejects it with ``decide``."""

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = parent_key("challenges")
    challenge: Mapped[Challenge] = relationship()
    username: Mapped[str] = mapped_column(String(255), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[JoinRequestStatus] = mapped_column(default=JoinRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]


def decide(session, request, *, accept, decided_by):
    """Accept (making the requester a participant) or reject a pending join request."""
    advance(request, JoinRequestStatus.ACCEPTED if accept else JoinRequestStatus.REJECTED)
    request.decided_by, request.decided_at = decided_by, utcnow()
    if accept:
        grant(session, request.challenge, request.username, ChallengeRole.PARTICIPANT)
    return request
