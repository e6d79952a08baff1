"""Alembic migrations of the platform database. ``upgrade(url)`` brings a database to head.

No alembic.ini: the configuration is made here and the scripts are found beside this file, so
this works from an installed package too. Processes that start together may all call
``upgrade``: one migrates while the others wait (an exclusive SQLite transaction, a PostgreSQL
advisory lock), then find the database at head.

After changing the models, write the next revision against a database at head, then read it:

    .venv/bin/python -c "from services.core import migrations; \\
        migrations.revision('sqlite:////tmp/gc.sqlite', 'what changed')"
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.types import JSON, TypeDecorator


def _render_item(kind, obj, autogen_context):
    """Write our own column types as what they store, so that revisions never import the models:
    ``sa.DateTime(timezone=True)``, and JSON as JSONB on PostgreSQL (every JSON column is
    ``orm.base.JSONData``)."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    if kind == "type" and isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


# How the models are compared with a database, for revisions and for tests.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "render_as_batch": True, "render_item": _render_item}


def config(url):
    """Alembic's configuration for the database at ``url``."""
    alembic_config = Config()
    alembic_config.set_main_option("script_location", str(Path(__file__).parent))
    alembic_config.attributes["url"] = url
    return alembic_config


def upgrade(url, revision="head"):
    """Migrate the database at ``url`` to ``revision`` (the latest by default)."""
    command.upgrade(config(url), revision)


def downgrade(url, revision):
    """Migrate the database at ``url`` back to ``revision`` ("base": no tables)."""
    command.downgrade(config(url), revision)


def revision(url, message):
    """Write the next revision from the differences between the models and the database at ``url``."""
    command.revision(config(url), message, autogenerate=True)
