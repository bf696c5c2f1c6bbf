"""Smaller keystone APIs: limits, policies, endpoint groups, domain config, EC2, federation, OAuth1."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["registered_limits", "limits", "generic", "idp_remote_ids", "oauth_request_tokens",
           "oauth_access_tokens", "policy_associations"]

registered_limits = sa.Table(
    "identity_registered_limits", db.metadata,
    db.id_column(),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("region_id", sa.String(255)),
    sa.Column("resource_name", sa.String(255), nullable=False),
    sa.Column("default_limit", sa.Integer, nullable=False),
    sa.Column("description", sa.Text),
)

limits = sa.Table(
    "identity_limits", db.metadata,
    db.id_column(),
    sa.Column("project_id", sa.String(64)),
    sa.Column("domain_id", sa.String(64)),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("region_id", sa.String(255)),
    sa.Column("resource_name", sa.String(255), nullable=False),
    sa.Column("resource_limit", sa.Integer, nullable=False),
    sa.Column("description", sa.Text),
)

# Plain documents keyed by kind (policy, endpoint_group, identity_provider, mapping,
# service_provider, consumer, domain_config, ...): small keystone APIs that are CRUD over a body.
generic = sa.Table(
    "identity_documents", db.metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("owner_id", sa.String(64), index=True),   # user, domain or parent id where there is one
    sa.Column("body", sa.JSON, nullable=False),
    *db.timestamps(),
)

# OS-FEDERATION: a remote id names one identity provider across all of them.
idp_remote_ids = sa.Table(
    "identity_idp_remote_ids", db.metadata,
    sa.Column("remote_id", sa.String(255), primary_key=True),
    sa.Column("idp_id", sa.String(64), nullable=False, index=True),
)

# OS-OAUTH1: a request token becomes an access token once authorized and exchanged.
oauth_request_tokens = sa.Table(
    "identity_oauth_request_tokens", db.metadata,
    db.id_column(),
    sa.Column("request_secret", sa.String(64), nullable=False),
    sa.Column("verifier", sa.String(64)),
    sa.Column("authorizing_user_id", sa.String(64)),
    sa.Column("requested_project_id", sa.String(64), nullable=False),
    sa.Column("role_ids", sa.JSON),
    sa.Column("consumer_id", sa.String(64), nullable=False, index=True),
    sa.Column("expires_at", sa.DateTime),
)

oauth_access_tokens = sa.Table(
    "identity_oauth_access_tokens", db.metadata,
    db.id_column(),
    sa.Column("access_secret", sa.String(64), nullable=False),
    sa.Column("authorizing_user_id", sa.String(64), nullable=False, index=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("role_ids", sa.JSON, nullable=False),
    sa.Column("consumer_id", sa.String(64), nullable=False, index=True),
    sa.Column("expires_at", sa.DateTime),
)

# OS-ENDPOINT-POLICY: a policy attached to an endpoint, a service, or a service in a region.
policy_associations = sa.Table(
    "identity_policy_associations", db.metadata,
    db.id_column(),
    sa.Column("policy_id", sa.String(64), nullable=False, index=True),
    sa.Column("endpoint_id", sa.String(64)),
    sa.Column("service_id", sa.String(64)),
    sa.Column("region_id", sa.String(255)),
    sa.UniqueConstraint("endpoint_id", "service_id", "region_id"),
)
