"""The Networking service's SQL tables. Every top-level resource carries neutron's standard
attributes (project_id, name, description, created_at, updated_at, revision_number); tags of any
resource live in one table keyed by the resource id (ids are UUIDs, unique across resources)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db


def standard(named: bool = True) -> list[sa.Column]:
    cols = [sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("project_id", sa.String(255), nullable=False, default=""),
            sa.Column("description", sa.String(255), nullable=False, default=""),
            sa.Column("revision_number", sa.Integer, nullable=False, default=0),
            *db.timestamps()]
    if named:
        cols.insert(2, sa.Column("name", sa.String(255), nullable=False, default=""))
    return cols


networks = sa.Table(
    "neutron_networks", db.metadata, *standard(),
    sa.Column("status", sa.String(16), nullable=False, default="ACTIVE"),
    sa.Column("admin_state_up", sa.Boolean, nullable=False, default=True),
    sa.Column("shared", sa.Boolean, nullable=False, default=False),
    sa.Column("external", sa.Boolean, nullable=False, default=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("mtu", sa.Integer, nullable=False, default=1500),
    sa.Column("port_security_enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("network_type", sa.String(32)),
    sa.Column("physical_network", sa.String(64)),
    sa.Column("segmentation_id", sa.Integer),
    sa.Column("availability_zone_hints", sa.JSON, nullable=False, default=list),
    sa.Column("dns_domain", sa.String(255)),
    sa.Index("ix_neutron_networks_project_id", "project_id"),
)

subnets = sa.Table(
    "neutron_subnets", db.metadata, *standard(),
    sa.Column("network_id", sa.String(36), sa.ForeignKey("neutron_networks.id"), nullable=False),
    sa.Column("ip_version", sa.Integer, nullable=False),
    sa.Column("cidr", sa.String(64), nullable=False),
    sa.Column("gateway_ip", sa.String(64)),
    sa.Column("enable_dhcp", sa.Boolean, nullable=False, default=True),
    sa.Column("ipv6_ra_mode", sa.String(32)),
    sa.Column("ipv6_address_mode", sa.String(32)),
    sa.Column("subnetpool_id", sa.String(36)),
    sa.Column("segment_id", sa.String(36)),
    sa.Column("allocation_pools", sa.JSON, nullable=False, default=list),
    sa.Column("dns_nameservers", sa.JSON, nullable=False, default=list),
    sa.Column("host_routes", sa.JSON, nullable=False, default=list),
    sa.Column("service_types", sa.JSON, nullable=False, default=list),
    sa.Column("dns_publish_fixed_ip", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_neutron_subnets_network_id", "network_id"),
)

ports = sa.Table(
    "neutron_ports", db.metadata, *standard(),
    sa.Column("network_id", sa.String(36), sa.ForeignKey("neutron_networks.id"), nullable=False),
    sa.Column("mac_address", sa.String(32), nullable=False),
    sa.Column("admin_state_up", sa.Boolean, nullable=False, default=True),
    sa.Column("status", sa.String(16), nullable=False, default="DOWN"),
    sa.Column("device_id", sa.String(255), nullable=False, default=""),
    sa.Column("device_owner", sa.String(255), nullable=False, default=""),
    sa.Column("binding_host_id", sa.String(255), nullable=False, default=""),
    sa.Column("binding_vnic_type", sa.String(64), nullable=False, default="normal"),
    sa.Column("binding_vif_type", sa.String(64), nullable=False, default="unbound"),
    sa.Column("binding_profile", sa.JSON, nullable=False, default=dict),
    sa.Column("binding_vif_details", sa.JSON, nullable=False, default=dict),
    sa.Column("port_security_enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("allowed_address_pairs", sa.JSON, nullable=False, default=list),
    sa.Column("extra_dhcp_opts", sa.JSON, nullable=False, default=list),
    sa.Column("dns_name", sa.String(255), nullable=False, default=""),
    sa.Column("propagate_uplink_status", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("dns_domain", sa.String(255), nullable=False, default="", server_default=""),
    sa.UniqueConstraint("network_id", "mac_address"),
    sa.Index("ix_neutron_ports_device_id", "device_id"),
    sa.Index("ix_neutron_ports_project_id", "project_id"),
)

ip_allocations = sa.Table(
    "neutron_ip_allocations", db.metadata,
    sa.Column("subnet_id", sa.String(36), sa.ForeignKey("neutron_subnets.id"), primary_key=True),
    sa.Column("ip_address", sa.String(64), primary_key=True),
    sa.Column("port_id", sa.String(36), sa.ForeignKey("neutron_ports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("network_id", sa.String(36), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Index("ix_neutron_ip_allocations_port_id", "port_id"),
)

security_groups = sa.Table(
    "neutron_security_groups", db.metadata, *standard(),
    sa.Column("stateful", sa.Boolean, nullable=False, default=True),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_neutron_security_groups_project_id", "project_id"),
)

security_group_rules = sa.Table(
    "neutron_security_group_rules", db.metadata, *standard(named=False),
    sa.Column("security_group_id", sa.String(36),
              sa.ForeignKey("neutron_security_groups.id", ondelete="CASCADE"), nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("ethertype", sa.String(8), nullable=False),
    sa.Column("protocol", sa.String(40)),
    sa.Column("port_range_min", sa.Integer),
    sa.Column("port_range_max", sa.Integer),
    sa.Column("remote_ip_prefix", sa.String(64)),
    sa.Column("remote_group_id", sa.String(36)),
    sa.Column("remote_address_group_id", sa.String(36)),
    sa.Index("ix_neutron_security_group_rules_sg", "security_group_id"),
)

port_security_groups = sa.Table(
    "neutron_port_security_groups", db.metadata,
    sa.Column("port_id", sa.String(36), sa.ForeignKey("neutron_ports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("security_group_id", sa.String(36), sa.ForeignKey("neutron_security_groups.id"),
              primary_key=True),
)

routers = sa.Table(
    "neutron_routers", db.metadata, *standard(),
    sa.Column("status", sa.String(16), nullable=False, default="ACTIVE"),
    sa.Column("admin_state_up", sa.Boolean, nullable=False, default=True),
    sa.Column("gw_network_id", sa.String(36)),
    sa.Column("gw_port_id", sa.String(36)),
    sa.Column("enable_snat", sa.Boolean, nullable=False, default=True),
    sa.Column("routes", sa.JSON, nullable=False, default=list),
    sa.Column("distributed", sa.Boolean, nullable=False, default=False),
    sa.Column("ha", sa.Boolean, nullable=False, default=False),
    sa.Column("availability_zone_hints", sa.JSON, nullable=False, default=list),
    sa.Index("ix_neutron_routers_project_id", "project_id"),
)

floating_ips = sa.Table(
    "neutron_floating_ips", db.metadata, *standard(named=False),
    sa.Column("floating_network_id", sa.String(36), sa.ForeignKey("neutron_networks.id"), nullable=False),
    sa.Column("floating_ip_address", sa.String(64), nullable=False),
    sa.Column("floating_port_id", sa.String(36), nullable=False),
    sa.Column("port_id", sa.String(36)),
    sa.Column("fixed_ip_address", sa.String(64)),
    sa.Column("router_id", sa.String(36)),
    sa.Column("status", sa.String(16), nullable=False, default="DOWN"),
    sa.Index("ix_neutron_floating_ips_project_id", "project_id"),
)

# floating IP port forwardings (neutron/db/models/port_forwarding.py): DNAT of one external port of a
# floating IP to a port and address inside; the floating IP then has no port of its own
port_forwardings = sa.Table(
    "neutron_port_forwardings", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("floatingip_id", sa.String(36), sa.ForeignKey("neutron_floating_ips.id", ondelete="CASCADE",
                                                        name="fk_neutron_pf_floatingip"), nullable=False),
    sa.Column("external_port", sa.Integer, nullable=False),
    sa.Column("internal_port", sa.Integer, nullable=False),
    sa.Column("internal_ip_address", sa.String(64), nullable=False),
    sa.Column("internal_port_id", sa.String(36), nullable=False),
    sa.Column("protocol", sa.String(40), nullable=False),
    sa.Column("description", sa.String(255), nullable=False, default=""),
    sa.UniqueConstraint("floatingip_id", "external_port", "protocol", name="uq_neutron_pf_external"),
    sa.UniqueConstraint("internal_port_id", "internal_ip_address", "internal_port", "protocol",
                        name="uq_neutron_pf_internal"),
    sa.Index("ix_neutron_port_forwardings_floatingip_id", "floatingip_id"),
)

subnetpools = sa.Table(
    "neutron_subnetpools", db.metadata, *standard(),
    sa.Column("ip_version", sa.Integer, nullable=False),
    sa.Column("prefixes", sa.JSON, nullable=False, default=list),
    sa.Column("default_prefixlen", sa.Integer, nullable=False),
    sa.Column("min_prefixlen", sa.Integer, nullable=False),
    sa.Column("max_prefixlen", sa.Integer, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False, default=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("default_quota", sa.Integer),
    sa.Column("address_scope_id", sa.String(36)),
)

quotas = sa.Table(
    "neutron_quotas", db.metadata,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("resource", sa.String(64), primary_key=True),
    sa.Column("limit", sa.Integer, nullable=False),
)

tags = sa.Table(
    "neutron_tags", db.metadata,
    sa.Column("resource_id", sa.String(36), primary_key=True),
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Index("ix_neutron_tags_tag", "tag"),
)

agents = sa.Table(
    "neutron_agents", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agent_type", sa.String(255), nullable=False),
    sa.Column("binary", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(255), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("admin_state_up", sa.Boolean, nullable=False, default=True),
    sa.Column("description", sa.String(255)),
    sa.Column("configurations", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
)

qos_policies = sa.Table(
    "neutron_qos_policies", db.metadata, *standard(),
    sa.Column("shared", sa.Boolean, nullable=False, default=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_neutron_qos_policies_project_id", "project_id"),
)

qos_rules = sa.Table(
    "neutron_qos_rules", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("policy_id", sa.String(36), sa.ForeignKey("neutron_qos_policies.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(16)),
    sa.Column("max_kbps", sa.Integer),
    sa.Column("max_burst_kbps", sa.Integer),
    sa.Column("min_kbps", sa.Integer),
    sa.Column("dscp_mark", sa.Integer),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Index("ix_neutron_qos_rules_policy_id", "policy_id"),
)

# qos_policy_id of networks, ports, floating IPs and router gateways (keyed by the resource id)
qos_bindings = sa.Table(
    "neutron_qos_bindings", db.metadata,
    sa.Column("resource_id", sa.String(36), primary_key=True),
    sa.Column("resource_type", sa.String(32), nullable=False),
    sa.Column("policy_id", sa.String(36), sa.ForeignKey("neutron_qos_policies.id"), nullable=False),
    sa.Index("ix_neutron_qos_bindings_policy_id", "policy_id"),
)

# trunk: a parent port and its VLAN sub-ports (neutron/services/trunk)
trunks = sa.Table(
    "neutron_trunks", db.metadata, *standard(),
    sa.Column("port_id", sa.String(36), sa.ForeignKey("neutron_ports.id"), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False, default="DOWN"),
    sa.Column("admin_state_up", sa.Boolean, nullable=False, default=True),
)

trunk_subports = sa.Table(
    "neutron_trunk_subports", db.metadata,
    sa.Column("port_id", sa.String(36), sa.ForeignKey("neutron_ports.id"), primary_key=True),
    sa.Column("trunk_id", sa.String(36), sa.ForeignKey("neutron_trunks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("segmentation_type", sa.String(32), nullable=False),
    sa.Column("segmentation_id", sa.Integer, nullable=False),
    sa.UniqueConstraint("trunk_id", "segmentation_type", "segmentation_id"),
)

# rbac-policies: network (and other object) access granted to a target project ('*' = every project)
rbac_policies = sa.Table(
    "neutron_rbac_policies", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(255), nullable=False, default=""),
    sa.Column("object_type", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(36), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target_tenant", sa.String(255), nullable=False),
    sa.UniqueConstraint("object_type", "object_id", "action", "target_tenant"),
    sa.Index("ix_neutron_rbac_policies_object_id", "object_id"),
)

address_scopes = sa.Table(
    "neutron_address_scopes", db.metadata, *standard(),
    sa.Column("ip_version", sa.Integer, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False, default=False),
)

flavors = sa.Table(
    "neutron_flavors", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, default=""),
    sa.Column("description", sa.String(1024), nullable=False, default=""),
    sa.Column("service_type", sa.String(36), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
)

service_profiles = sa.Table(
    "neutron_service_profiles", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("description", sa.String(1024), nullable=False, default=""),
    sa.Column("driver", sa.String(1024), nullable=False, default=""),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("metainfo", sa.String(4096), nullable=False, default=""),
)

flavor_profile_bindings = sa.Table(
    "neutron_flavor_profile_bindings", db.metadata,
    sa.Column("flavor_id", sa.String(36), sa.ForeignKey("neutron_flavors.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("service_profile_id", sa.String(36), sa.ForeignKey("neutron_service_profiles.id"), primary_key=True),
)

# flavor_id of routers (l3-flavors)
router_flavors = sa.Table(
    "neutron_router_flavors", db.metadata,
    sa.Column("router_id", sa.String(36), primary_key=True),
    sa.Column("flavor_id", sa.String(36), sa.ForeignKey("neutron_flavors.id"), nullable=False),
)

# networks hosted by DHCP agents and routers hosted by L3 agents (dhcp_agent_scheduler, l3_agent_scheduler)
agent_bindings = sa.Table(
    "neutron_agent_bindings", db.metadata,
    sa.Column("agent_id", sa.String(36), sa.ForeignKey("neutron_agents.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("resource_id", sa.String(36), primary_key=True),
    sa.Index("ix_neutron_agent_bindings_resource_id", "resource_id"),
)

auto_allocated_topologies = sa.Table(
    "neutron_auto_allocated_topologies", db.metadata,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("network_id", sa.String(36), nullable=False),
    sa.Column("router_id", sa.String(36)),
)

# multi-provider: the segments of a network created with more than one (`segments` attribute)
network_segments = sa.Table(
    "neutron_network_segments", db.metadata,
    sa.Column("network_id", sa.String(36), sa.ForeignKey("neutron_networks.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("network_type", sa.String(32), nullable=False),
    sa.Column("physical_network", sa.String(64)),
    sa.Column("segmentation_id", sa.Integer),
)

# binding-extended: a port's inactive bindings (its active one lives in neutron_ports' binding_* columns)
port_bindings = sa.Table(
    "neutron_port_bindings", db.metadata,
    sa.Column("port_id", sa.String(36), sa.ForeignKey("neutron_ports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("vnic_type", sa.String(64), nullable=False, default="normal"),
    sa.Column("profile", sa.JSON, nullable=False, default=dict),
    sa.Column("vif_type", sa.String(64), nullable=False, default="ovs"),
    sa.Column("vif_details", sa.JSON, nullable=False, default=dict),
)

# metering: labels and their rules (bookkeeping; no traffic is counted)
metering_labels = sa.Table(
    "neutron_metering_labels", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(255), nullable=False, default=""),
    sa.Column("name", sa.String(255), nullable=False, default=""),
    sa.Column("description", sa.String(1024), nullable=False, default=""),
    sa.Column("shared", sa.Boolean, nullable=False, default=False),
)

metering_label_rules = sa.Table(
    "neutron_metering_label_rules", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("metering_label_id", sa.String(36), sa.ForeignKey("neutron_metering_labels.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("project_id", sa.String(255), nullable=False, default=""),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("excluded", sa.Boolean, nullable=False, default=False),
    sa.Column("remote_ip_prefix", sa.String(64), nullable=False),
)
