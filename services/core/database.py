"""Connections to the platform database (SQLite by default, PostgreSQL at scale)."""

from sqlalchemy import create_engine, event, text


def make_engine(url):
    """An engine for ``url``; SQLite gets WAL and a busy timeout so that processes can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def ping(engine):
    """Raise if the database does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
