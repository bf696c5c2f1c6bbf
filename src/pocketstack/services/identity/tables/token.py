"""Token signing keys (shared by every worker through the database) and revocation events."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["token_keys", "revocations", "kv"]

token_keys = sa.Table(
    "identity_token_keys", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("purpose", sa.String(16), nullable=False, default="token"),  # token | credential
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("primary", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

revocations = sa.Table(
    "identity_revocations", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(64), index=True),
    sa.Column("project_id", sa.String(64), index=True),
    sa.Column("domain_id", sa.String(64)),
    sa.Column("role_id", sa.String(64)),
    sa.Column("trust_id", sa.String(64)),
    sa.Column("audit_id", sa.String(32), index=True),
    sa.Column("audit_chain_id", sa.String(32)),
    sa.Column("application_credential_id", sa.String(64)),
    sa.Column("issued_before", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
)

kv = sa.Table(
    "pocketstack_state", db.metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.JSON),
)
