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


class PooledQuery:
    """A SELECT run on a pooled DB-API connection, compiled once for each dialect: no ORM session
    and none of SQLAlchemy's work per execution (a small query in SQLite: about 35 µs against
    190 µs through a session). For the few reads that every request makes; its parameters and
    results pass as the DB-API gives them (strings and numbers, no type conversion), and it sees
    what is committed, not a session's pending changes."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}  # dialect name → (SQL text, parameter names in order, or None for named)

    def rows(self, engine, **parameters):
        """The rows (tuples) of the query with ``parameters``."""
        sql, order = self._compiled.get(engine.dialect.name) or self._compile(engine.dialect)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, parameters if order is None else [parameters[name] for name in order])
            return cursor.fetchall()
        finally:
            connection.close()  # back to the pool, rolled back

    def scalar(self, engine, **parameters):
        """The first column of the first row."""
        return self.rows(engine, **parameters)[0][0]

    def _compile(self, dialect):
        compiled = self.statement.compile(dialect=dialect)
        order = list(compiled.positiontup) if compiled.positional else None
        self._compiled[dialect.name] = compiled.string, order
        return compiled.string, order
