"""compute: console auth tokens (nova's console_auth_tokens), shown by /os-console-auth-tokens/{token}, and a
server's injected files (personality), which its config drive holds

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('injected_files', sa.JSON(), nullable=True))
    op.create_table(
        'compute_console_auth_tokens',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('console_type', sa.String(length=255), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=True),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('tls_port', sa.Integer(), nullable=True),
        sa.Column('internal_access_path', sa.String(length=255), nullable=True),
        sa.Column('server_id', sa.String(length=64), nullable=False),
        sa.Column('expires', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['server_id'], ['compute_servers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('compute_console_auth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_console_auth_tokens_expires'), ['expires'], unique=False)
        batch_op.create_index(batch_op.f('ix_compute_console_auth_tokens_server_id'), ['server_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('compute_console_auth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_console_auth_tokens_server_id'))
        batch_op.drop_index(batch_op.f('ix_compute_console_auth_tokens_expires'))
    op.drop_table('compute_console_auth_tokens')
    with op.batch_alter_table('compute_servers', schema=None) as batch_op:
        batch_op.drop_column('injected_files')
