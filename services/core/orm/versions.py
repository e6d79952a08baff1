"""Versions of what services keep answers of: under a name, a new random value in the same
transaction as any change to what the name covers, so that every process of a service knows from
one row whether an answer it made before still holds.

``archives`` covers what a list of archives shows: archives, their roles, and the viewer
configurations and hanging protocols they are shown with (whose slugs it shows, and whose
deletion empties the archives' choice). It changes when a flush of the ORM's unit of work adds,
changes or deletes one, and when an ORM statement (``insert(Archive)``, ``delete(member)`` in
``revoke``, …) writes to their tables.
"""

import secrets

from sqlalchemy import String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .archives import Archive
from .base import Base
from .roles import ArchiveMember
from .viewing import HangingProtocol, ViewerConfiguration

COVERED = {"archives": (Archive, ArchiveMember, ViewerConfiguration, HangingProtocol)}


class Version(Base):
    """The version of ``name``'s data (see COVERED)."""

    __tablename__ = "versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(32))


def version(session, name):
    """The version of ``name`` in ``session``'s transaction (None until it first changes)."""
    return session.scalar(select(Version.value).where(Version.name == name))


def _changed(connection, name):
    """Give ``name`` a new version in ``connection``'s transaction."""
    value = secrets.token_hex(8)
    if not connection.execute(update(Version).where(Version.name == name).values(value=value)).rowcount:
        connection.execute(insert(Version).values(name=name, value=value))


def _names(models):
    return [name for name, covered in COVERED.items() if any(issubclass(model, covered) for model in models)]


@event.listens_for(Session, "before_flush")
def _new_versions_of_flush(session, _context, _instances):
    for name in _names({type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}):
        _changed(session.connection(), name)


@event.listens_for(Session, "do_orm_execute")
def _new_versions_of_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        for name in _names({mapper.class_ for mapper in state.all_mappers}):
            _changed(state.session.connection(), name)
