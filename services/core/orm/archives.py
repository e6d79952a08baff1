"""Archives: named collections of cases, each case a set of socket values."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Named, children, link_table, parent_key, utcnow
from .sockets import SocketValue
from .viewing import ShownWith

archive_item_values = link_table("archive_item_values", "archive_items", "socket_values")


class Archive(ShownWith, Named, Base):
    """A collection of cases. Deleting it deletes its items, not the values or images they hold."""

    __tablename__ = "archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list["ArchiveItem"]] = children("ArchiveItem", "archive")


class ArchiveItem(Base):
    """One case of an archive: a set of socket values (at most one per socket, by convention)."""

    __tablename__ = "archive_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    archive_id: Mapped[int] = parent_key("archives")
    archive: Mapped[Archive] = relationship(back_populates="items")
    values: Mapped[list[SocketValue]] = relationship(secondary=archive_item_values)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
