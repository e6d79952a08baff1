"""Uploads: each uploaded file's declared size and the bytes received so far (chunked, resumable
uploads), and where it came from when it was extracted from a zip.

Revision ID: 0002_uploads
Revises: 0001
Create Date: 2026-11-28 03:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0002_uploads'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('upload_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('received', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('extracted_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_upload_files_extracted_from_id_upload_files'), 'upload_files',
            ['extracted_from_id'], ['id'], ondelete='CASCADE',
        )


def downgrade() -> None:
    with op.batch_alter_table('upload_files', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_upload_files_extracted_from_id_upload_files'), type_='foreignkey')
        batch_op.drop_column('extracted_from_id')
        batch_op.drop_column('received')
        batch_op.drop_column('size')
