"""A UUID per image, as grand-challenge names images to containers (``image.pk`` in ``inputs.json``
and ``predictions.json``); existing images get one each.

Revision ID: 0017_image_pk
Revises: 0016_versions
Create Date: 2026-12-03 19:10:00

"""
import uuid
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0017_image_pk'
down_revision: Union[str, Sequence[str], None] = '0016_versions'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pk", sa.String(length=36), nullable=True))
    connection = op.get_bind()
    ids = [image_id for (image_id,) in connection.execute(sa.text("SELECT id FROM images")).fetchall()]
    if ids:
        connection.execute(
            sa.text("UPDATE images SET pk = :pk WHERE id = :id"), [{"pk": str(uuid.uuid4()), "id": i} for i in ids]
        )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.alter_column("pk", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_images_pk"), ["pk"])


def downgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_images_pk"), type_="unique")
        batch_op.drop_column("pk")
