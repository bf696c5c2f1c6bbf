"""Credentials, application credentials with access rules, and trusts."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["credentials", "app_creds", "app_cred_roles", "access_rules", "app_cred_access_rules",
           "trusts", "trust_roles"]

credentials = sa.Table(
    "identity_credentials", db.metadata,
    db.id_column(),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("project_id", sa.String(64)),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("encrypted_blob", sa.Text, nullable=False),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
)

app_creds = sa.Table(
    "identity_app_creds", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("secret_hash", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("project_id", sa.String(64)),
    sa.Column("system", sa.String(64)),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("unrestricted", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
    sa.UniqueConstraint("user_id", "name"),
)

app_cred_roles = sa.Table(
    "identity_app_cred_roles", db.metadata,
    sa.Column("application_credential_id", sa.String(64), primary_key=True),
    sa.Column("role_id", sa.String(64), primary_key=True),
)

access_rules = sa.Table(
    "identity_access_rules", db.metadata,
    db.id_column(),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("path", sa.String(128), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
)

app_cred_access_rules = sa.Table(
    "identity_app_cred_access_rules", db.metadata,
    sa.Column("application_credential_id", sa.String(64), primary_key=True),
    sa.Column("access_rule_id", sa.String(64), primary_key=True),
)

trusts = sa.Table(
    "identity_trusts", db.metadata,
    db.id_column(),
    sa.Column("trustor_user_id", sa.String(64), nullable=False, index=True),
    sa.Column("trustee_user_id", sa.String(64), nullable=False, index=True),
    sa.Column("project_id", sa.String(64)),
    sa.Column("impersonation", sa.Boolean, nullable=False, default=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("remaining_uses", sa.Integer),
    sa.Column("redelegated_trust_id", sa.String(64)),
    sa.Column("redelegation_count", sa.Integer),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
)

trust_roles = sa.Table(
    "identity_trust_roles", db.metadata,
    sa.Column("trust_id", sa.String(64), primary_key=True),
    sa.Column("role_id", sa.String(64), primary_key=True),
)
