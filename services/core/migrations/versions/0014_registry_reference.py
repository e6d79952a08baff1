"""A container image's place in the cluster's registry (``repo@sha256:…``), from which nodes that
lack the image pull it by digest.

Revision ID: 0014_registry_reference
Revises: 0013_teams
Create Date: 2026-12-02 19:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014_registry_reference'
down_revision: Union[str, Sequence[str], None] = '0013_teams'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('container_images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_reference', sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('container_images', schema=None) as batch_op:
        batch_op.drop_column('registry_reference')
