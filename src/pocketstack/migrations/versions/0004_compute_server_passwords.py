"""compute server passwords (the metadata service's POST /openstack/latest/password)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 11:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compute_server_passwords',
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('password', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['server_id'], ['compute_servers.id'],
                            name=op.f('fk_compute_server_passwords_server_id_compute_servers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('server_id', name=op.f('pk_compute_server_passwords'))
    )


def downgrade() -> None:
    op.drop_table('compute_server_passwords')
