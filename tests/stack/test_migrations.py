"""Migrations on SQLite and on a real PostgreSQL: head matches the models, and the schema works."""

import subprocess
import sys
import uuid
from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from services.core import migrations, orm
from services.core.database import make_engine
from services.core.errors import Conflict
from services.core.status import JobStatus, advance

pytestmark = pytest.mark.stack


@pytest.fixture
def url(database_url):
    """An empty database of each kind (tests/conftest.py)."""
    return database_url


def differences(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection, opts=migrations.COMPARE_OPTIONS), orm.metadata)
    engine.dispose()
    return found


def revision_of(url):
    engine = make_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def test_upgrade_reaches_head_and_head_matches_the_models(url):
    migrations.upgrade(url)
    migrations.upgrade(url)  # again: nothing to do
    assert revision_of(url) == ScriptDirectory.from_config(migrations.config(url)).get_current_head()
    assert differences(url) == []


def test_downgrade_to_base_removes_every_table(url):
    migrations.upgrade(url)
    migrations.downgrade(url, "base")
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()


def test_processes_that_start_together_migrate_once(url):
    code = f"from services.core.migrations import upgrade; upgrade({url!r})"
    processes = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    failures = [process.communicate(timeout=120)[1] for process in processes if process.wait(timeout=120)]
    assert failures == []
    assert differences(url) == []


def test_rows_go_in_and_come_out(url):
    migrations.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        age = orm.save(session, orm.Socket(slug="age", title="Age", kind="integer", created_by="ann"))
        anything = orm.save(session, orm.Socket(slug="meta", title="Meta", kind="any", created_by="ann"))
        values = [orm.make_value(session, age, value=63), orm.make_value(session, anything, value=None)]
        archive = orm.save(
            session, orm.Archive(slug="a", title="A", created_by="ann", items=[orm.ArchiveItem(values=values)])
        )
        phase = orm.Phase(
            challenge=orm.Challenge(slug="c", title="C", created_by="ann"), slug="p", title="P", archive=archive
        )
        evaluation = orm.Evaluation(submission=orm.Submission(phase=phase, creator="bob", predictions_path="p.csv"))
        session.add(evaluation)
        session.flush()
        advance(evaluation, JobStatus.PROVISIONING)
        advance(evaluation, JobStatus.EXECUTING)
        evaluation.metrics = {"aggregates": {"dice": {"mean": 0.8}}}
        orm.grant(session, phase.challenge, "ann", "admin")
        session.commit()
    with pytest.raises(Conflict, match="an archive with slug 'a' exists already"), Session(engine) as session:
        orm.save(session, orm.Archive(slug="a", title="A", created_by="bob"))
    with Session(engine) as session:
        stored = session.scalars(select(orm.Evaluation)).one()
        assert stored.status == JobStatus.EXECUTING and stored.started_at.tzinfo == UTC
        assert stored.metrics["aggregates"]["dice"]["mean"] == 0.8
        values = session.scalars(select(orm.SocketValue).distinct()).all()  # JSON compares (JSONB)
        assert {v.socket.slug: v.value for v in values} == {"age": 63, "meta": None}
        assert session.scalars(select(orm.ArchiveItem)).one().values[0].socket.slug in {"age", "meta"}
        assert orm.has_role(session, stored.submission.phase.challenge, "ann", "admin")
    engine.dispose()


def test_existing_images_get_a_uuid_each(url):
    """0017_image_pk gives each image that is there a UUID of its own, as grand-challenge names images."""
    migrations.upgrade(url, "0016_versions")
    engine = make_engine(url)
    columns = "name, path, size, sha256, dimensions, spacing, origin, direction, pixel_type, color_space"
    columns += ", created_by, created_at"
    row = "'{}.mha', 'images/{}.mha', 1, 'x', '[1]', '[1]', '[0]', '[1]', 'UInt8', 'GRAY', 'ann', '2026-01-01 00:00:00'"
    with engine.begin() as connection:
        for name in ("a", "b"):
            connection.execute(text(f"INSERT INTO images ({columns}) VALUES ({row.format(name, name)})"))
    migrations.upgrade(url)
    with engine.connect() as connection:
        pks = connection.execute(text("SELECT pk FROM images ORDER BY id")).scalars().all()
    engine.dispose()
    assert len(set(pks)) == 2 and all(str(uuid.UUID(pk)) == pk for pk in pks)
