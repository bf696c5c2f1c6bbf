"""key manager: Barbican's secrets (payloads encrypted under per-project KEKs), secret metadata,
containers and their secrets, consumers, orders, ACLs, the wrapped KEKs, project quotas and transport keys

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('key_manager_secrets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('secret_type', sa.String(length=255), nullable=False),
    sa.Column('expiration', sa.DateTime(), nullable=True),
    sa.Column('algorithm', sa.String(length=255), nullable=True),
    sa.Column('bit_length', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=True),
    sa.Column('encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_manager_secrets'))
    )
    op.create_index('ix_key_manager_secrets_project', 'key_manager_secrets', ['project_id', 'created_at'], unique=False)
    op.create_table('key_manager_secret_metadata',
    sa.Column('secret_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['secret_id'], ['key_manager_secrets.id'], name=op.f('fk_key_manager_secret_metadata_secret_id_key_manager_secrets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('secret_id', 'key', name=op.f('pk_key_manager_secret_metadata'))
    )
    op.create_table('key_manager_containers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_manager_containers'))
    )
    op.create_index('ix_key_manager_containers_project', 'key_manager_containers', ['project_id', 'created_at'], unique=False)
    op.create_table('key_manager_container_secrets',
    sa.Column('container_id', sa.String(length=36), nullable=False),
    sa.Column('secret_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['container_id'], ['key_manager_containers.id'], name=op.f('fk_key_manager_container_secrets_container_id_key_manager_containers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('container_id', 'secret_id', name=op.f('pk_key_manager_container_secrets'))
    )
    op.create_index('ix_key_manager_container_secrets_secret', 'key_manager_container_secrets', ['secret_id'], unique=False)
    op.create_table('key_manager_consumers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('entity_type', sa.String(length=10), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('url', sa.String(length=255), nullable=True),
    sa.Column('service', sa.String(length=255), nullable=True),
    sa.Column('resource_type', sa.String(length=255), nullable=True),
    sa.Column('resource_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_manager_consumers'))
    )
    op.create_index('ix_key_manager_consumers_entity', 'key_manager_consumers', ['entity_type', 'entity_id'], unique=False)
    op.create_table('key_manager_orders',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('creator_id', sa.String(length=255), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('secret_id', sa.String(length=36), nullable=True),
    sa.Column('container_id', sa.String(length=36), nullable=True),
    sa.Column('error_status_code', sa.String(length=16), nullable=True),
    sa.Column('error_reason', sa.String(length=255), nullable=True),
    sa.Column('sub_status', sa.String(length=36), nullable=True),
    sa.Column('sub_status_message', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_manager_orders'))
    )
    op.create_index('ix_key_manager_orders_project', 'key_manager_orders', ['project_id', 'created_at'], unique=False)
    op.create_table('key_manager_acls',
    sa.Column('entity_type', sa.String(length=10), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('operation', sa.String(length=20), nullable=False),
    sa.Column('project_access', sa.Boolean(), nullable=False),
    sa.Column('users', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('entity_type', 'entity_id', 'operation', name=op.f('pk_key_manager_acls'))
    )
    op.create_table('key_manager_keks',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_key_manager_keks'))
    )
    op.create_table('key_manager_project_quotas',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('secrets', sa.Integer(), nullable=True),
    sa.Column('orders', sa.Integer(), nullable=True),
    sa.Column('containers', sa.Integer(), nullable=True),
    sa.Column('consumers', sa.Integer(), nullable=True),
    sa.Column('cas', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_key_manager_project_quotas'))
    )
    op.create_table('key_manager_transport_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('plugin_name', sa.String(length=255), nullable=False),
    sa.Column('transport_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_manager_transport_keys'))
    )


def downgrade() -> None:
    for name in ('key_manager_transport_keys', 'key_manager_project_quotas', 'key_manager_keks',
                 'key_manager_acls', 'key_manager_orders', 'key_manager_consumers',
                 'key_manager_container_secrets', 'key_manager_containers', 'key_manager_secret_metadata',
                 'key_manager_secrets'):
        op.drop_table(name)
