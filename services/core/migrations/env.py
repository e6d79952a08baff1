"""Alembic's environment, run by ``services.core.migrations`` (never by an alembic.ini).

SQLite runs without foreign-key enforcement here: a batch migration copies and drops tables, and
with enforcement on, dropping a table would delete or refuse the rows that refer to it.
"""

from alembic import context
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from services.core.migrations import COMPARE_OPTIONS
from services.core.orm import metadata

# Any fixed number: the PostgreSQL advisory lock that lets one process migrate at a time.
LOCK_KEY = 7_202_604


def _engine(url):
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool)
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions

    @event.listens_for(engine, "begin")
    def _begin_exclusive(connection):
        connection.exec_driver_sql("BEGIN EXCLUSIVE")  # one migrating process; DDL rolls back too

    return engine


with _engine(context.config.attributes["url"]).connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, transactional_ddl=True, **COMPARE_OPTIONS)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        context.run_migrations()
