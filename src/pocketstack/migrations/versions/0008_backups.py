"""backups: volume backups are objects in the object store (service_metadata: their name prefix)

Revision ID: 0008_backups
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_backups'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('volume_backups') as batch:
        batch.add_column(sa.Column('service_metadata', sa.String(length=255), nullable=True))
        batch.alter_column('blob_key', existing_type=sa.String(length=255), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('volume_backups') as batch:
        batch.alter_column('blob_key', existing_type=sa.String(length=255), nullable=False)
        batch.drop_column('service_metadata')
