"""The Bare Metal service's SQL tables: nodes, their traits and VIFs, ports, portgroups, chassis,
allocations (ironic/db/sqlalchemy/models.py, one row per object; dict fields are JSON columns)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

JSON_DEFAULT = {"default": dict, "nullable": False}

chassis = sa.Table(
    "baremetal_chassis", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("description", sa.String(255)),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
)

NODE_STRINGS = (
    "name", "instance_uuid", "driver", "reservation", "conductor_group", "power_state", "target_power_state",
    "provision_state", "target_provision_state", "maintenance_reason", "fault", "last_error", "resource_class",
    "protected_reason", "owner", "lessee", "description", "retired_reason", "boot_mode", "shard", "parent_node",
    "instance_name", "health", "bios_interface", "boot_interface", "console_interface", "deploy_interface",
    "firmware_interface", "inspect_interface", "management_interface", "network_interface", "power_interface",
    "raid_interface", "rescue_interface", "storage_interface", "vendor_interface", "allocation_uuid",
    "boot_device", "job_token")
NODE_DICTS = ("driver_info", "driver_internal_info", "clean_step", "deploy_step", "service_step", "raid_config",
              "target_raid_config", "instance_info", "properties", "extra", "network_data")
NODE_BOOLS = ("maintenance", "console_enabled", "protected", "retired", "disable_power_off")
NODE_NULLABLE_BOOLS = ("automated_clean", "secure_boot")
NODE_TIMES = ("provision_updated_at", "inspection_started_at", "inspection_finished_at")

nodes = sa.Table(
    "baremetal_nodes", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("chassis_uuid", sa.String(36), sa.ForeignKey("baremetal_chassis.uuid")),
    *[sa.Column(n, sa.String(255)) for n in NODE_STRINGS],
    *[sa.Column(n, sa.JSON, **JSON_DEFAULT) for n in NODE_DICTS],
    *[sa.Column(n, sa.Boolean, nullable=False, default=False) for n in NODE_BOOLS],
    *[sa.Column(n, sa.Boolean) for n in NODE_NULLABLE_BOOLS],
    *[sa.Column(n, sa.DateTime) for n in NODE_TIMES],
    sa.Column("boot_persistent", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
    sa.UniqueConstraint("name"),
    sa.UniqueConstraint("instance_uuid"),
    sa.Index("ix_baremetal_nodes_provision_state", "provision_state"),
    sa.Index("ix_baremetal_nodes_owner", "owner"),
    sa.Index("ix_baremetal_nodes_created_at", "created_at"),
)

node_traits = sa.Table(
    "baremetal_node_traits", db.metadata,
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("trait", sa.String(255), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

portgroups = sa.Table(
    "baremetal_portgroups", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid"), nullable=False),
    sa.Column("address", sa.String(18)),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    sa.Column("internal_info", sa.JSON, **JSON_DEFAULT),
    sa.Column("properties", sa.JSON, **JSON_DEFAULT),
    sa.Column("standalone_ports_supported", sa.Boolean, nullable=False, default=True),
    sa.Column("mode", sa.String(255)),
    sa.Column("physical_network", sa.String(64)),
    sa.Column("category", sa.String(80)),
    sa.Column("dynamic_portgroup", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
    sa.UniqueConstraint("name"),
    sa.UniqueConstraint("address"),
    sa.Index("ix_baremetal_portgroups_node_uuid", "node_uuid"),
)

ports = sa.Table(
    "baremetal_ports", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("address", sa.String(18), nullable=False),
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid"), nullable=False),
    sa.Column("portgroup_uuid", sa.String(36), sa.ForeignKey("baremetal_portgroups.uuid")),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    sa.Column("internal_info", sa.JSON, **JSON_DEFAULT),
    sa.Column("local_link_connection", sa.JSON, **JSON_DEFAULT),
    sa.Column("pxe_enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("physical_network", sa.String(64)),
    sa.Column("is_smartnic", sa.Boolean, nullable=False, default=False),
    sa.Column("name", sa.String(255)),
    sa.Column("description", sa.String(255)),
    sa.Column("vendor", sa.String(32)),
    sa.Column("category", sa.String(80)),
    sa.Column("available_for_dynamic_portgroup", sa.Boolean, nullable=False, default=True),
    *db.timestamps(),
    sa.UniqueConstraint("address"),
    sa.UniqueConstraint("name"),
    sa.Index("ix_baremetal_ports_node_uuid", "node_uuid"),
)

allocations = sa.Table(
    "baremetal_allocations", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("node_uuid", sa.String(36)),
    sa.Column("state", sa.String(15), nullable=False),
    sa.Column("owner", sa.String(255)),
    sa.Column("last_error", sa.Text),
    sa.Column("resource_class", sa.String(80)),
    sa.Column("traits", sa.JSON, default=list, nullable=False),
    sa.Column("candidate_nodes", sa.JSON, default=list, nullable=False),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
    sa.UniqueConstraint("name"),
)

volume_connectors = sa.Table(
    "baremetal_volume_connectors", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid"), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("connector_id", sa.String(255), nullable=False),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
    sa.UniqueConstraint("type", "connector_id"),
)

volume_targets = sa.Table(
    "baremetal_volume_targets", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid"), nullable=False),
    sa.Column("volume_type", sa.String(64), nullable=False),
    sa.Column("properties", sa.JSON, **JSON_DEFAULT),
    sa.Column("boot_index", sa.Integer, nullable=False),
    sa.Column("volume_id", sa.String(36), nullable=False),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
    sa.UniqueConstraint("node_uuid", "boot_index"),
)

deploy_templates = sa.Table(
    "baremetal_deploy_templates", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("steps", sa.JSON, nullable=False),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
    sa.UniqueConstraint("name"),
)

runbooks = sa.Table(
    "baremetal_runbooks", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.String(255)),
    sa.Column("steps", sa.JSON, nullable=False),
    sa.Column("traits", sa.JSON, default=list, nullable=False),
    sa.Column("disable_ramdisk", sa.Boolean, nullable=False, default=False),
    sa.Column("public", sa.Boolean, nullable=False, default=False),
    sa.Column("owner", sa.String(255)),
    sa.Column("extra", sa.JSON, **JSON_DEFAULT),
    *db.timestamps(),
    sa.UniqueConstraint("name"),
)

inspection_rules = sa.Table(
    "baremetal_inspection_rules", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("description", sa.String(255)),
    sa.Column("priority", sa.Integer, nullable=False, default=0),
    sa.Column("phase", sa.String(16), nullable=False, default="main"),
    sa.Column("sensitive", sa.Boolean, nullable=False, default=False),
    sa.Column("conditions", sa.JSON, default=list, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    *db.timestamps(),
)

node_history = sa.Table(
    "baremetal_node_history", db.metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("node_uuid", sa.String(36), sa.ForeignKey("baremetal_nodes.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("conductor", sa.String(255)),
    sa.Column("event_type", sa.String(255)),
    sa.Column("severity", sa.String(255)),
    sa.Column("event", sa.Text),
    sa.Column("user", sa.String(64)),
    sa.Column("project", sa.String(64)),
    sa.Column("state", sa.String(15)),
    sa.Column("target_provision_state", sa.String(15)),
    sa.Column("duration_seconds", sa.Integer),
    *db.timestamps(),
    sa.Index("ix_baremetal_node_history_node_uuid", "node_uuid"),
)
