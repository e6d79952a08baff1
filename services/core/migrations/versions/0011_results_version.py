"""A phase's results version: a new random value whenever what its leaderboard shows may have
changed, so that the leaderboard service knows from the phase's row whether a leaderboard it
computed before still holds.

Revision ID: 0011_results_version
Revises: 0010_oauth_states
Create Date: 2026-12-02 12:09:41

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011_results_version'
down_revision: Union[str, Sequence[str], None] = '0010_oauth_states'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_version', sa.String(length=32), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.drop_column('results_version')
