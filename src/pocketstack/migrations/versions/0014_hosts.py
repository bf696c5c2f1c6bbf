"""hosts: the services each host runs (host_services, with heartbeats) and job host affinity (jobs.host)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('host_services',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('zone', sa.String(length=255), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('forced_down', sa.Boolean(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('last_seen_up', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_host_services')),
    sa.UniqueConstraint('host', 'binary', name='uq_host_services_host_binary'),
    sa.UniqueConstraint('uuid', name=op.f('uq_host_services_uuid'))
    )
    with op.batch_alter_table('host_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_services_owner'), ['owner'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('host')
    with op.batch_alter_table('host_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_host_services_owner'))
    op.drop_table('host_services')
