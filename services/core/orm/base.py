"""The declarative base, column types and mixins that every model shares."""

import enum
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, Enum, ForeignKey, MetaData, String, Table, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from ..errors import Conflict, InvalidValue, noun, with_article

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

# JSON documents; JSONB on PostgreSQL so that rows holding them can be compared (DISTINCT, =).
JSONData = JSON().with_variant(JSONB(), "postgresql")


def utcnow():
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware time, stored in UTC; SQLite, which keeps no zone, reads back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise InvalidValue(f"the time {value.isoformat()} has no time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Models: constraint names fixed by convention (Alembic needs names), ``str`` enums stored
    by value in plain strings (no PostgreSQL enum types), times in UTC."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {
        datetime: UTCDateTime(),
        enum.Enum: Enum(
            enum.Enum, native_enum=False, validate_strings=True, values_callable=lambda kind: [m.value for m in kind]
        ),
    }

    def __init__(self, **kwargs):
        """Set the given attributes; columns with a Python default (statuses, flags, times) get it
        at once rather than at the INSERT, so that a new object reads as it will be stored."""
        for attribute in self.__mapper__.column_attrs:
            default = attribute.columns[0].default
            if default is not None and attribute.key not in kwargs:
                kwargs[attribute.key] = default.arg(None) if default.is_callable else default.arg
        for key, value in kwargs.items():
            if not hasattr(type(self), key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {type(self).__name__}")
            setattr(self, key, value)


class Slugged:
    """A ``slug``: lowercase letters, digits and hyphens, 1 to 64, unique among the model's rows."""

    slug: Mapped[str] = mapped_column(String(64), unique=True)

    @validates("slug")
    def _validate_slug(self, _key, slug):
        if not isinstance(slug, str) or not SLUG.fullmatch(slug):
            raise InvalidValue(
                f"{slug!r} is not a valid slug: use 1 to 64 lowercase letters, digits and hyphens,"
                " starting with a letter or digit"
            )
        return slug

    def slug_taken(self, session):
        """Whether another stored row of this model has this slug (within ``slug_scope``)."""
        model = type(self)
        query = select(model.id).where(model.slug == self.slug, *self.slug_scope())
        if self.id is not None:
            query = query.where(model.id != self.id)
        return session.scalar(query) is not None

    def slug_scope(self):
        """Conditions on the rows among which the slug is unique: none, unless a model has some."""
        return ()

    def describe_slug(self):
        return f"{with_article(noun(self))} with slug {self.slug!r}"


class Named(Slugged):
    """What people create and find by name: slug, title, description, who made it and when."""

    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def save(session, obj):
    """Add ``obj`` and flush it. A taken slug becomes Conflict("an archive with slug 'x' exists
    already"), after the session's transaction is rolled back, as it is on any IntegrityError."""
    if not _slug_taken(session, obj):
        try:
            session.add(obj)
            session.flush()
            return obj
        except IntegrityError:
            session.rollback()
            if not _slug_taken(session, obj):  # not taken by a transaction that committed meanwhile
                raise
    session.rollback()
    raise Conflict(f"{obj.describe_slug()} exists already; choose another slug")


def remove(session, obj):
    """Delete ``obj`` (and what belongs to it, by the database's cascades) and flush. If a row
    elsewhere still refers to it (a RESTRICT key), the session's transaction is rolled back, so
    that nothing is partly deleted, and Conflict says so."""
    described = obj.describe_slug() if isinstance(obj, Slugged) else f"{noun(obj)} {obj.id}"
    try:
        session.delete(obj)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"{described[0].upper()}{described[1:]} is still used elsewhere, so it was not deleted."
        ) from None


def _slug_taken(session, obj):
    with session.no_autoflush:
        return isinstance(obj, Slugged) and obj.slug_taken(session)


def grand_challenge_pk():
    """A row's UUID as grand-challenge names it to containers (``pk`` in ``inputs.json`` and
    ``predictions.json``), beside the integer id that the API and the database use."""
    return mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))


def parent_key(table):
    """The key of a row that belongs to a row of ``table``: it goes when that row goes."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


def children(model, back_populates, **options):
    """The ``model`` rows that belong to this one (by ``parent_key``), in the order they were made;
    the database deletes them with it."""
    options.setdefault("order_by", f"{model}.id")
    return relationship(
        model, back_populates=back_populates, cascade="all, delete-orphan", passive_deletes=True, **options
    )


def link_table(name, left, right):
    """A many-to-many table ``name`` between tables ``left`` and ``right``: removing a ``left`` row
    removes its links, a linked ``right`` row cannot be removed."""
    return Table(
        name,
        Base.metadata,
        Column(f"{left.removesuffix('s')}_id", ForeignKey(f"{left}.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{right.removesuffix('s')}_id", ForeignKey(f"{right}.id", ondelete="RESTRICT"), primary_key=True),
    )
