"""flavors' internal ids and migration records' instance type ids; per-project default volume types

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_flavors') as batch:
        batch.add_column(sa.Column('internal_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('compute_migrations') as batch:
        batch.add_column(sa.Column('old_instance_type_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('new_instance_type_id', sa.Integer(), nullable=True))
    flavors = sa.table('compute_flavors', sa.column('id', sa.String), sa.column('internal_id', sa.Integer),
                       sa.column('created_at', sa.DateTime))
    conn = op.get_bind()
    rows = conn.execute(sa.select(flavors.c.id).order_by(flavors.c.created_at, flavors.c.id)).all()
    for number, (flavor_id,) in enumerate(rows, start=1):
        conn.execute(flavors.update().where(flavors.c.id == flavor_id).values(internal_id=number))
    op.create_table('volume_default_types',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'],
                            name=op.f('fk_volume_default_types_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_volume_default_types'))
    )


def downgrade() -> None:
    op.drop_table('volume_default_types')
    with op.batch_alter_table('compute_migrations') as batch:
        batch.drop_column('new_instance_type_id')
        batch.drop_column('old_instance_type_id')
    with op.batch_alter_table('compute_flavors') as batch:
        batch.drop_column('internal_id')
