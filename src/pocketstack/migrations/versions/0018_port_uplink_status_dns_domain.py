"""network: ports keep propagate_uplink_status (uplink-status-propagation) and dns_domain (dns-domain-ports)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('neutron_ports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('propagate_uplink_status', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('dns_domain', sa.String(length=255), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('neutron_ports', schema=None) as batch_op:
        batch_op.drop_column('dns_domain')
        batch_op.drop_column('propagate_uplink_status')
