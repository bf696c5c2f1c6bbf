"""guests: a backup keeps its volume's bootable flag and glance metadata, restored with the bytes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('volume_backups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('volume_bootable', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('volume_image_metadata', sa.JSON(), nullable=False,
                                      server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('volume_backups', schema=None) as batch_op:
        batch_op.drop_column('volume_image_metadata')
        batch_op.drop_column('volume_bootable')
