"""Algorithm models: model tarballs of an algorithm (at most one active), and the model a job ran
with; a submission pinned to the image digest and the model of its algorithm when it was made
(submissions made before this keep the digest their first job ran).

Revision ID: 0009_algorithm_models
Revises: 0008_interfaces
Create Date: 2026-12-02 11:35:36

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0009_algorithm_models'
down_revision: Union[str, Sequence[str], None] = '0008_interfaces'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('algorithm_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('algorithm_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=1024), nullable=False),
    sa.Column('tarball_path', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'importing', 'succeeded', 'failed', 'cancelled', name='uploadstatus', native_enum=False), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_algorithm_models_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_algorithm_models'))
    )
    with op.batch_alter_table('algorithm_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_algorithm_models_algorithm_id'), ['algorithm_id'], unique=False)
        batch_op.create_index('ix_algorithm_models_one_active', ['algorithm_id'], unique=True, sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))
    with op.batch_alter_table('algorithm_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm_model_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_algorithm_jobs_algorithm_model_id'), ['algorithm_model_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_algorithm_jobs_algorithm_model_id_algorithm_models'), 'algorithm_models', ['algorithm_model_id'], ['id'])
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('algorithm_digest', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('algorithm_model_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submissions_algorithm_model_id'), ['algorithm_model_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_submissions_algorithm_model_id_algorithm_models'), 'algorithm_models', ['algorithm_model_id'], ['id'])
    op.execute(
        "UPDATE submissions SET algorithm_digest = (SELECT container_digest FROM algorithm_jobs"
        " WHERE algorithm_jobs.submission_id = submissions.id AND container_digest IS NOT NULL"
        " ORDER BY algorithm_jobs.id LIMIT 1) WHERE algorithm_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_algorithm_model_id_algorithm_models'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_submissions_algorithm_model_id'))
        batch_op.drop_column('algorithm_model_id')
        batch_op.drop_column('algorithm_digest')
    with op.batch_alter_table('algorithm_jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_algorithm_jobs_algorithm_model_id_algorithm_models'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_algorithm_jobs_algorithm_model_id'))
        batch_op.drop_column('algorithm_model_id')
    with op.batch_alter_table('algorithm_models', schema=None) as batch_op:
        batch_op.drop_index('ix_algorithm_models_one_active', sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))
        batch_op.drop_index(batch_op.f('ix_algorithm_models_algorithm_id'))

    op.drop_table('algorithm_models')
