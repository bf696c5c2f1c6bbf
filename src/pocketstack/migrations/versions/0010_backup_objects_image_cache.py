"""backups: volume backups are objects in the object store (service_metadata: their name prefix);
the image cache; image locations in the http store

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('volume_backups') as batch:
        batch.add_column(sa.Column('service_metadata', sa.String(length=255), nullable=True))
        batch.alter_column('blob_key', existing_type=sa.String(length=255), nullable=True)
    op.create_table('image_cache',
                    sa.Column('image_id', sa.String(length=36), nullable=False),
                    sa.Column('state', sa.String(length=16), nullable=False),
                    sa.Column('size', sa.BigInteger(), nullable=False),
                    sa.Column('hits', sa.Integer(), nullable=False),
                    sa.Column('last_accessed', sa.Float(), nullable=False),
                    sa.Column('last_modified', sa.Float(), nullable=False),
                    sa.PrimaryKeyConstraint('image_id', name=op.f('pk_image_cache')))
    op.create_table('image_locations',
                    sa.Column('image_id', sa.String(length=36), nullable=False),
                    sa.Column('url', sa.String(length=2048), nullable=False),
                    sa.Column('metadata', sa.JSON(), nullable=False),
                    sa.ForeignKeyConstraint(['image_id'], ['image_images.id'],
                                            name=op.f('fk_image_locations_image_id_image_images'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('image_id', name=op.f('pk_image_locations')))


def downgrade() -> None:
    op.drop_table('image_locations')
    op.drop_table('image_cache')
    with op.batch_alter_table('volume_backups') as batch:
        batch.alter_column('blob_key', existing_type=sa.String(length=255), nullable=False)
        batch.drop_column('service_metadata')
