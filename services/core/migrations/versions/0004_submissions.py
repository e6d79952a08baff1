"""Submissions: algorithm jobs made for a submission name it and their case; phases cap how many
of a submission's jobs run at once.

Revision ID: 0004_submissions
Revises: 0003_execution
Create Date: 2026-11-28 03:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0004_submissions'
down_revision: Union[str, Sequence[str], None] = '0003_execution'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('algorithm_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('archive_item_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_algorithm_jobs_submission_id_submissions'), 'submissions',
            ['submission_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_algorithm_jobs_archive_item_id_archive_items'), 'archive_items',
            ['archive_item_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_algorithm_jobs_submission_id_archive_item_id'), ['submission_id', 'archive_item_id']
        )
        batch_op.create_index(batch_op.f('ix_algorithm_jobs_submission_id'), ['submission_id'])
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm_concurrency', sa.Integer(), server_default='2', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.drop_column('algorithm_concurrency')
    with op.batch_alter_table('algorithm_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_algorithm_jobs_submission_id'))
        batch_op.drop_constraint(batch_op.f('uq_algorithm_jobs_submission_id_archive_item_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_algorithm_jobs_archive_item_id_archive_items'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_algorithm_jobs_submission_id_submissions'), type_='foreignkey')
        batch_op.drop_column('archive_item_id')
        batch_op.drop_column('submission_id')
