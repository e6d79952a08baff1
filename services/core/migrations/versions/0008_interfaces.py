"""Grand-challenge's runtime: algorithm interfaces (inputs → outputs) instead of one set of inputs
and outputs per algorithm and phase; a UUID per job; a phase's additional evaluation inputs and a
submission's values for them; grand-challenge's common sockets (services/core/catalogue.py), and
relative paths without a trailing slash.

Each algorithm and phase keeps what it had, as one interface; each job gets its algorithm's.

Revision ID: 0008_interfaces
Revises: 0007_dicom_display
Create Date: 2026-12-02 12:00:00

"""
import uuid
from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from services.core.catalogue import COMMON_SOCKETS, PLATFORM

revision: str = '0008_interfaces'
down_revision: Union[str, Sequence[str], None] = '0007_dicom_display'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def link(name, left, right):
    """A link table as services/core/orm/base.py ``link_table`` makes it."""
    left_key, right_key = f"{left.removesuffix('s')}_id", f"{right.removesuffix('s')}_id"
    op.create_table(
        name,
        sa.Column(left_key, sa.Integer(), nullable=False),
        sa.Column(right_key, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint([left_key], [f"{left}.id"], name=op.f(f"fk_{name}_{left_key}_{left}"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            [right_key], [f"{right}.id"], name=op.f(f"fk_{name}_{right_key}_{right}"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint(left_key, right_key, name=op.f(f"pk_{name}")),
    )


OLD_LINKS = (
    ("algorithm_inputs", "algorithms"),
    ("algorithm_outputs", "algorithms"),
    ("phase_algorithm_inputs", "phases"),
    ("phase_algorithm_outputs", "phases"),
)


def upgrade() -> None:
    op.create_table(
        "algorithm_interfaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_algorithm_interfaces")),
    )
    link("algorithm_interface_inputs", "algorithm_interfaces", "sockets")
    link("algorithm_interface_outputs", "algorithm_interfaces", "sockets")
    link("algorithm_algorithm_interfaces", "algorithms", "algorithm_interfaces")
    link("phase_algorithm_interfaces", "phases", "algorithm_interfaces")
    link("phase_evaluation_inputs", "phases", "sockets")
    link("submission_evaluation_inputs", "submissions", "socket_values")
    with op.batch_alter_table("algorithm_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pk", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("interface_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_algorithm_jobs_interface_id_algorithm_interfaces"),
            "algorithm_interfaces", ["interface_id"], ["id"], ondelete="RESTRICT",
        )
    connection = op.get_bind()
    interfaces = {}  # (inputs, outputs) → id

    def interface_of(inputs, outputs):
        key = (tuple(sorted(inputs)), tuple(sorted(outputs)))
        if key not in interfaces:
            interfaces[key] = connection.execute(sa.text("INSERT INTO algorithm_interfaces DEFAULT VALUES RETURNING id")).scalar()
            for table, sockets in (("algorithm_interface_inputs", inputs), ("algorithm_interface_outputs", outputs)):
                for socket_id in sockets:
                    connection.execute(
                        sa.text(f"INSERT INTO {table} (algorithm_interface_id, socket_id) VALUES (:i, :s)"),
                        {"i": interfaces[key], "s": socket_id},
                    )
        return interfaces[key]

    def sockets_of(table, owner_key, owner_id):
        return [row[0] for row in connection.execute(
            sa.text(f"SELECT socket_id FROM {table} WHERE {owner_key} = :o"), {"o": owner_id})]

    for (algorithm_id,) in connection.execute(sa.text("SELECT id FROM algorithms")).fetchall():
        interface = interface_of(
            sockets_of("algorithm_inputs", "algorithm_id", algorithm_id),
            sockets_of("algorithm_outputs", "algorithm_id", algorithm_id),
        )
        connection.execute(
            sa.text("INSERT INTO algorithm_algorithm_interfaces (algorithm_id, algorithm_interface_id) VALUES (:a, :i)"),
            {"a": algorithm_id, "i": interface},
        )
        connection.execute(
            sa.text("UPDATE algorithm_jobs SET interface_id = :i WHERE algorithm_id = :a"), {"a": algorithm_id, "i": interface}
        )
    for (phase_id,) in connection.execute(sa.text("SELECT id FROM phases")).fetchall():
        inputs = sockets_of("phase_algorithm_inputs", "phase_id", phase_id)
        outputs = sockets_of("phase_algorithm_outputs", "phase_id", phase_id)
        if inputs or outputs:
            connection.execute(
                sa.text("INSERT INTO phase_algorithm_interfaces (phase_id, algorithm_interface_id) VALUES (:p, :i)"),
                {"p": phase_id, "i": interface_of(inputs, outputs)},
            )
    for (job_id,) in connection.execute(sa.text("SELECT id FROM algorithm_jobs")).fetchall():
        connection.execute(sa.text("UPDATE algorithm_jobs SET pk = :pk WHERE id = :id"), {"pk": str(uuid.uuid4()), "id": job_id})
    with op.batch_alter_table("algorithm_jobs", schema=None) as batch_op:
        batch_op.alter_column("pk", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_algorithm_jobs_pk"), ["pk"])
    for table, _owner in OLD_LINKS:
        op.drop_table(table)

    connection.execute(sa.text(
        "UPDATE sockets SET relative_path = substr(relative_path, 1, length(relative_path) - 1)"
        " WHERE relative_path LIKE '%/'"
    ))
    install_common_sockets(connection)


SOCKETS = sa.table(
    "sockets",
    sa.column("slug", sa.String()),
    sa.column("title", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("kind", sa.String()),
    sa.column("relative_path", sa.String()),
    sa.column("created_by", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def install_common_sockets(connection):
    """Add the catalogue's sockets that are missing; a socket of the same slug and kind takes
    grand-challenge's path (unless another socket has that path)."""
    now = datetime.now(timezone.utc)
    for socket in COMMON_SOCKETS:
        found = connection.execute(sa.text("SELECT id, kind FROM sockets WHERE slug = :s"), {"s": socket.slug}).first()
        path_taken = connection.execute(
            sa.text("SELECT id FROM sockets WHERE relative_path = :p AND slug != :s"),
            {"p": socket.relative_path, "s": socket.slug},
        ).first()
        if found is None:
            op.bulk_insert(SOCKETS, [{
                "slug": socket.slug, "title": socket.title, "description": socket.description,
                "kind": str(socket.kind), "relative_path": socket.relative_path, "created_by": PLATFORM, "created_at": now,
            }])
        elif found.kind == str(socket.kind) and path_taken is None:
            connection.execute(
                sa.text("UPDATE sockets SET relative_path = :p WHERE id = :i"), {"p": socket.relative_path, "i": found.id}
            )


def downgrade() -> None:
    for table, owner in OLD_LINKS:
        link(table, owner, "sockets")
    connection = op.get_bind()
    for owner, links in (("algorithm", "algorithm_algorithm_interfaces"), ("phase", "phase_algorithm_interfaces")):
        for side in ("inputs", "outputs"):
            table = f"{owner}_{side}" if owner == "algorithm" else f"phase_algorithm_{side}"
            connection.execute(sa.text(
                f"INSERT INTO {table} ({owner}_id, socket_id) SELECT DISTINCT l.{owner}_id, s.socket_id"
                f" FROM {links} l JOIN algorithm_interface_{side} s ON s.algorithm_interface_id = l.algorithm_interface_id"
            ))
    with op.batch_alter_table("algorithm_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_algorithm_jobs_pk"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_algorithm_jobs_interface_id_algorithm_interfaces"), type_="foreignkey")
        batch_op.drop_column("interface_id")
        batch_op.drop_column("pk")
    for table in ("submission_evaluation_inputs", "phase_evaluation_inputs", "phase_algorithm_interfaces",
                  "algorithm_algorithm_interfaces", "algorithm_interface_outputs", "algorithm_interface_inputs",
                  "algorithm_interfaces"):
        op.drop_table(table)
