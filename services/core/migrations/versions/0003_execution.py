"""Execution: attempts, the worker and its heartbeat on algorithm jobs and evaluations; uploaded
container images.

Revision ID: 0003_execution
Revises: 0002_uploads
Create Date: 2026-11-28 03:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0003_execution'
down_revision: Union[str, Sequence[str], None] = '0002_uploads'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RUN_TABLES = ("algorithm_jobs", "evaluations")


def upgrade() -> None:
    for table in RUN_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))
            batch_op.add_column(sa.Column('worker', sa.String(length=255), nullable=True))
            batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('container_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('algorithm_id', sa.Integer(), nullable=True),
    sa.Column('phase_id', sa.Integer(), nullable=True),
    sa.Column('tarball_path', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'importing', 'succeeded', 'failed', 'cancelled', name='uploadstatus', native_enum=False), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(algorithm_id IS NULL) <> (phase_id IS NULL)', name=op.f('ck_container_images_algorithm_or_phase')),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], name=op.f('fk_container_images_algorithm_id_algorithms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phase_id'], ['phases.id'], name=op.f('fk_container_images_phase_id_phases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_container_images'))
    )
    op.create_index(op.f('ix_container_images_algorithm_id'), 'container_images', ['algorithm_id'])
    op.create_index(op.f('ix_container_images_digest'), 'container_images', ['digest'])
    op.create_index(op.f('ix_container_images_owner'), 'container_images', ['owner'])
    op.create_index(op.f('ix_container_images_phase_id'), 'container_images', ['phase_id'])


def downgrade() -> None:
    op.drop_table('container_images')
    for table in RUN_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('heartbeat_at')
            batch_op.drop_column('worker')
            batch_op.drop_column('attempt')
