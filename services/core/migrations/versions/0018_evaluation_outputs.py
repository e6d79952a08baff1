"""A phase's evaluation additional outputs (sockets its evaluation method writes besides
metrics.json) and each evaluation's values for them.

Revision ID: 0018_evaluation_outputs
Revises: 0017_image_pk
Create Date: 2026-12-03 19:00:00

"""
from importlib import import_module
from typing import Sequence, Union

from alembic import op

revision: str = '0018_evaluation_outputs'
down_revision: Union[str, Sequence[str], None] = '0017_image_pk'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

link = import_module("services.core.migrations.versions.0008_interfaces").link


def upgrade() -> None:
    link("phase_evaluation_outputs", "phases", "sockets")
    link("evaluation_outputs", "evaluations", "socket_values")


def downgrade() -> None:
    op.drop_table("evaluation_outputs")
    op.drop_table("phase_evaluation_outputs")
