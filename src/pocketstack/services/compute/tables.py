"""Compute tables: flavors, keypairs, server groups, servers and their satellites, aggregates, quotas."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

m = db.metadata

flavors = sa.Table(
    "compute_flavors", m,
    db.id_column("id", 255),                       # the flavorid (nova's public id)
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("ram", sa.Integer, nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("disk", sa.Integer, nullable=False),
    sa.Column("ephemeral", sa.Integer, nullable=False, default=0),
    sa.Column("swap", sa.Integer, nullable=False, default=0),
    sa.Column("rxtx_factor", sa.Float, nullable=False, default=1.0),
    sa.Column("is_public", sa.Boolean, nullable=False, default=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("description", sa.Text),
    *db.timestamps(),
    sa.Column("internal_id", sa.Integer),          # nova's instance_types.id, shown by migration records
)

flavor_extra_specs = sa.Table(
    "compute_flavor_extra_specs", m,
    sa.Column("flavor_id", sa.String(255), sa.ForeignKey("compute_flavors.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

flavor_projects = sa.Table(
    "compute_flavor_projects", m,
    sa.Column("flavor_id", sa.String(255), sa.ForeignKey("compute_flavors.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("project_id", sa.String(64), primary_key=True),
)

keypairs = sa.Table(
    "compute_keypairs", m,
    db.id_column(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.String(255), nullable=False),
    *db.timestamps(),
    sa.UniqueConstraint("user_id", "name"),
)

server_groups = sa.Table(
    "compute_server_groups", m,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("policy", sa.String(32), nullable=False),
    sa.Column("rules", sa.JSON, nullable=False),
    *db.timestamps(),
)

server_group_members = sa.Table(
    "compute_server_group_members", m,
    sa.Column("group_id", sa.String(64), sa.ForeignKey("compute_server_groups.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("server_id", sa.String(64), primary_key=True),
)

servers = sa.Table(
    "compute_servers", m,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("image_id", sa.String(64), nullable=False, default=""),
    sa.Column("flavor_id", sa.String(255), nullable=False),
    sa.Column("flavor", sa.JSON, nullable=False),             # the flavor as it was at boot (nova embeds it)
    sa.Column("old_flavor", sa.JSON),                         # during resize
    sa.Column("key_name", sa.String(255)),
    sa.Column("key_data", sa.Text),
    sa.Column("user_data", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("requested_az", sa.String(255)),
    sa.Column("vm_state", sa.String(32), nullable=False),
    sa.Column("task_state", sa.String(32)),
    sa.Column("power_state", sa.Integer, nullable=False, default=0),
    sa.Column("progress", sa.Integer, nullable=False, default=0),
    sa.Column("locked", sa.Boolean, nullable=False, default=False),
    sa.Column("locked_by", sa.String(16)),
    sa.Column("locked_reason", sa.Text),
    sa.Column("fault", sa.JSON),
    sa.Column("host", sa.String(255)),
    sa.Column("instance_name", sa.String(255), nullable=False),
    sa.Column("reservation_id", sa.String(64), nullable=False),
    sa.Column("launch_index", sa.Integer, nullable=False, default=0),
    sa.Column("config_drive", sa.String(8), nullable=False, default=""),
    sa.Column("disk_config", sa.String(8), nullable=False, default="MANUAL"),
    sa.Column("shelved_image_id", sa.String(64)),
    sa.Column("access_ipv4", sa.String(64), nullable=False, default=""),
    sa.Column("access_ipv6", sa.String(64), nullable=False, default=""),
    sa.Column("security_groups", sa.JSON, nullable=False),
    sa.Column("networks", sa.JSON, nullable=False),           # what create asked for, for the build job
    sa.Column("block_devices", sa.JSON),                      # volume bdms create asked for, for the build job
    sa.Column("trusted_certs", sa.JSON),
    sa.Column("launched_at", sa.DateTime),
    sa.Column("terminated_at", sa.DateTime),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("deleted_at", sa.DateTime),
    *db.timestamps(),
    # (after the timestamps, where their migration put them)
    sa.Column("image_properties", sa.JSON),                   # nova's image_* system metadata (shown at 2.98)
    sa.Column("scheduler_hints", sa.JSON),                    # nova's RequestSpec.scheduler_hints (2.100)
    sa.Column("injected_files", sa.JSON),                     # personality: [[path, base64]] for the config drive
    sa.Index("ix_compute_servers_project_deleted", "project_id", "deleted"),
)

server_metadata = sa.Table(
    "compute_server_metadata", m,
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

server_tags = sa.Table(
    "compute_server_tags", m,
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tag", sa.String(60), primary_key=True),
)

server_ports = sa.Table(                                     # nova's network info cache
    "compute_server_ports", m,
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("port_id", sa.String(64), primary_key=True),
    sa.Column("network_id", sa.String(64), nullable=False),
    sa.Column("network_name", sa.String(255), nullable=False),
    sa.Column("mac_address", sa.String(32), nullable=False),
    sa.Column("fixed_ips", sa.JSON, nullable=False),          # [{"ip_address", "subnet_id", "version"}]
    sa.Column("preexisting", sa.Boolean, nullable=False, default=False),
    sa.Column("tag", sa.String(60)),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)

server_passwords = sa.Table(                                  # nova keeps it in system_metadata password_0..3
    "compute_server_passwords", m,
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("password", sa.Text, nullable=False),          # what the guest posted (encrypted with its key)
    *db.timestamps(),
)

console_auth_tokens = sa.Table(                              # nova's console_auth_tokens (a hash, never the token)
    "compute_console_auth_tokens", m,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("console_type", sa.String(255), nullable=False),
    sa.Column("host", sa.String(255)),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("tls_port", sa.Integer),
    sa.Column("internal_access_path", sa.String(255)),
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("expires", sa.Integer, nullable=False, index=True),      # unix time, as nova's
    *db.timestamps(),
)

volume_attachments = sa.Table(                               # nova's block device mappings for volumes
    "compute_volume_attachments", m,
    db.id_column(),                                            # the bdm uuid
    sa.Column("server_id", sa.String(64), sa.ForeignKey("compute_servers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("volume_id", sa.String(64), nullable=False),
    sa.Column("attachment_id", sa.String(64)),
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("tag", sa.String(60)),
    sa.Column("delete_on_termination", sa.Boolean, nullable=False, default=False),
    sa.Column("boot_index", sa.Integer),
    *db.timestamps(),
    # (after the timestamps, where its migration put it)
    sa.Column("multiattach", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)

instance_actions = sa.Table(
    "compute_instance_actions", m,
    db.id_column(),
    sa.Column("server_id", sa.String(64), nullable=False, index=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("project_id", sa.String(64)),
    sa.Column("user_id", sa.String(64)),
    sa.Column("message", sa.Text),
    sa.Column("start_time", sa.DateTime, nullable=False),
    sa.Column("finish_time", sa.DateTime),
    *db.timestamps(),
)

instance_action_events = sa.Table(
    "compute_instance_action_events", m,
    db.id_column(),
    sa.Column("action_id", sa.String(64), sa.ForeignKey("compute_instance_actions.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("event", sa.String(255), nullable=False),
    sa.Column("result", sa.String(32)),
    sa.Column("traceback", sa.Text),
    sa.Column("host", sa.String(255)),
    sa.Column("start_time", sa.DateTime, nullable=False),
    sa.Column("finish_time", sa.DateTime),
)

migrations = sa.Table(                                        # nova's migration records (resize, live)
    "compute_migrations", m,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),   # also the Placement consumer of a resize
    sa.Column("instance_uuid", sa.String(36), nullable=False, index=True),
    sa.Column("project_id", sa.String(64)),
    sa.Column("user_id", sa.String(64)),
    sa.Column("migration_type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("source_compute", sa.String(255)),
    sa.Column("dest_compute", sa.String(255)),
    sa.Column("source_node", sa.String(255)),
    sa.Column("dest_node", sa.String(255)),
    sa.Column("dest_host", sa.String(255)),
    sa.Column("old_flavor_id", sa.String(255)),
    sa.Column("new_flavor_id", sa.String(255)),
    *db.timestamps(),
    sa.Column("old_instance_type_id", sa.Integer),   # the flavors' internal ids, as nova's records keep them
    sa.Column("new_instance_type_id", sa.Integer),   # (after the timestamps, where their migration put them)
)

aggregates = sa.Table(
    "compute_aggregates", m,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("availability_zone", sa.String(255)),
    *db.timestamps(),
)

aggregate_hosts = sa.Table(
    "compute_aggregate_hosts", m,
    sa.Column("aggregate_id", sa.Integer, sa.ForeignKey("compute_aggregates.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("host", sa.String(255), primary_key=True),
)

aggregate_metadata = sa.Table(
    "compute_aggregate_metadata", m,
    sa.Column("aggregate_id", sa.Integer, sa.ForeignKey("compute_aggregates.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

quotas = sa.Table(
    "compute_quotas", m,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True, default=""),
    sa.Column("resource", sa.String(64), primary_key=True),
    sa.Column("hard_limit", sa.Integer, nullable=False),
)
