"""An archive's viewer configuration and hanging protocol: how its cases are shown.

Revision ID: 0015_archive_viewing
Revises: 0014_registry_reference
Create Date: 2026-12-03 05:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015_archive_viewing'
down_revision: Union[str, Sequence[str], None] = '0014_registry_reference'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

VIEWING = (('viewer_configuration_id', 'viewer_configurations'), ('hanging_protocol_id', 'hanging_protocols'))


def upgrade() -> None:
    with op.batch_alter_table('archives', schema=None) as batch_op:
        for column, table in VIEWING:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_archives_{column}'), [column], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_archives_{column}_{table}'), table, [column], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('archives', schema=None) as batch_op:
        for column, table in VIEWING:
            batch_op.drop_constraint(batch_op.f(f'fk_archives_{column}_{table}'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_archives_{column}'))
            batch_op.drop_column(column)
