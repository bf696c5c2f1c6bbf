"""Networking (Neutron v2.0): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services.network import (
    address_scopes, agent_schedulers, agents, auto_allocated_topology, availability_zones, bootstrap, common,
    errors, extensions, flavors, floating_ips, metering, network_ip_availability, networks, policies,
    port_bindings, ports, qos, quotas, rbac_policies, router_interfaces, routers, security_group_rules,
    security_groups, service_providers, subnetpools, subnets, tags, trunks)

SERVICE = Service(
    type="network",
    prefixes=["/networking"],
    routes=[*extensions.ROUTES, *networks.ROUTES, *subnets.ROUTES, *subnetpools.ROUTES, *ports.ROUTES,
            *security_groups.ROUTES, *security_group_rules.ROUTES, *routers.ROUTES, *router_interfaces.ROUTES,
            *floating_ips.ROUTES, *quotas.ROUTES, *agents.ROUTES, *availability_zones.ROUTES,
            *network_ip_availability.ROUTES, *tags.ROUTES, *qos.ROUTES, *service_providers.ROUTES,
            *flavors.ROUTES, *agent_schedulers.ROUTES, *auto_allocated_topology.ROUTES, *trunks.ROUTES,
            *rbac_policies.ROUTES, *address_scopes.ROUTES, *port_bindings.ROUTES, *metering.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    bootstrap=bootstrap.run,
    startup=quotas.configure,
    catalog=[("network", "neutron", "/networking")],
)
common.bind(SERVICE)

__all__ = ["SERVICE"]
