"""Educational reader studies: a study may show its readers the ground truth of the cases they
have answered, and each time a reader sees one is kept (their answers to it are then final).

Revision ID: 0006_educational_reading
Revises: 0005_member_index
Create Date: 2026-11-28 05:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0006_educational_reading'
down_revision: Union[str, Sequence[str], None] = '0005_member_index'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('educational', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('ground_truth_reveals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reader', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['reader_study_cases.id'], name=op.f('fk_ground_truth_reveals_case_id_reader_study_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ground_truth_reveals')),
    sa.UniqueConstraint('case_id', 'reader', name=op.f('uq_ground_truth_reveals_case_id_reader'))
    )
    op.create_index(op.f('ix_ground_truth_reveals_case_id'), 'ground_truth_reveals', ['case_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_ground_truth_reveals_case_id'), table_name='ground_truth_reveals')
    op.drop_table('ground_truth_reveals')
    with op.batch_alter_table('reader_studies', schema=None) as batch_op:
        batch_op.drop_column('educational')
