"""Versions of what services keep answers of (``archives``: archives and their roles), a new
value in the same transaction as each change, so that every process knows whether what it kept
still holds.

Revision ID: 0016_versions
Revises: 0015_archive_viewing
Create Date: 2026-12-03 05:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016_versions'
down_revision: Union[str, Sequence[str], None] = '0015_archive_viewing'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    versions = op.create_table('versions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_versions'))
    )
    op.bulk_insert(versions, [{'name': 'archives', 'value': ''}])  # never inserted by two writers at once


def downgrade() -> None:
    op.drop_table('versions')
