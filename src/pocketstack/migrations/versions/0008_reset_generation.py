"""generation: the cloud's restore generation, for several workers (core.snapshots)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('pocketstack_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('jobs_paused_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pocketstack_generation'))
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0, 'jobs_paused_until': None}])


def downgrade() -> None:
    op.drop_table('pocketstack_generation')
