"""compute: a server keeps its image's properties (nova's image_* system metadata, shown at 2.98) and the
scheduler hints it was created with (nova's RequestSpec.scheduler_hints, shown at 2.100)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_properties', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('scheduler_hints', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('compute_servers', schema=None) as batch_op:
        batch_op.drop_column('scheduler_hints')
        batch_op.drop_column('image_properties')
