"""compute: a volume attachment records whether the volume is multiattach (nova keeps it in the BDM's
connection_info), so a guest's disk for it is shareable

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_volume_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('multiattach', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('compute_volume_attachments', schema=None) as batch_op:
        batch_op.drop_column('multiattach')
