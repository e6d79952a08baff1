"""Members by user: an index on (username, object) of each role table, for the lists of what a
user may see and their counts.

Revision ID: 0005_member_index
Revises: 0004_submissions
Create Date: 2026-11-28 04:55:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005_member_index'
down_revision: Union[str, Sequence[str], None] = '0004_submissions'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEMBER_TABLES = {
    "archive_members": "archive_id",
    "challenge_members": "challenge_id",
    "algorithm_members": "algorithm_id",
    "reader_study_members": "reader_study_id",
}


def upgrade() -> None:
    for table, owner in MEMBER_TABLES.items():
        op.create_index(f"ix_{table}_username_object", table, ["username", owner])


def downgrade() -> None:
    for table in MEMBER_TABLES:
        op.drop_index(f"ix_{table}_username_object", table_name=table)
