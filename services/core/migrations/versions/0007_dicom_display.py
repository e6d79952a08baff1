"""The DICOM attributes a viewer needs besides modality and window: the series description, and the
rescale (slope and intercept) that the importer applied to the stored voxels.

Revision ID: 0007_dicom_display
Revises: 0006_educational_reading
Create Date: 2026-12-02 09:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0007_dicom_display'
down_revision: Union[str, Sequence[str], None] = '0006_educational_reading'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_description', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rescale_slope', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('rescale_intercept', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_column('rescale_intercept')
        batch_op.drop_column('rescale_slope')
        batch_op.drop_column('series_description')
