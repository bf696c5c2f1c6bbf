"""Networking (Neutron v2.0): everything app.py needs to know about it."""

import functools
import inspect
from typing import Any

from pocketstack.core.routing import Route, Service
from pocketstack.services import about
from pocketstack.services.network import (
    address_scopes, agent_schedulers, agents, auto_allocated_topology, availability_zones, bootstrap, common,
    dataplane, dns, errors, extensions, flavors, floating_ips, floatingip_pools, metering, network_ip_availability, networks, policies,
    port_bindings, port_forwardings, ports, qos, quotas, rbac_policies, router_interfaces, routers, security_group_rules,
    security_groups, service_providers, subnetpools, subnets, tags, trunks)



def startup(settings: Any) -> None:
    quotas.configure(settings)
    dns.configure(settings)
    dataplane.configure(settings)


def _notifying(r: Route) -> Route:
    """A change committed by the API wakes the dataplane, whichever it is."""
    handler = r.handler
    if r.method not in ("POST", "PUT", "DELETE"):
        return r
    if inspect.iscoroutinefunction(handler):
        async def wrapped_async(ctx: Any, rq: Any) -> Any:
            result = await handler(ctx, rq)
            dataplane.current().changed()
            return result
        r.handler = functools.wraps(handler)(wrapped_async)
    else:
        def wrapped(ctx: Any, rq: Any) -> Any:
            result = handler(ctx, rq)
            dataplane.current().changed()
            return result
        r.handler = functools.wraps(handler)(wrapped)
    return r


SERVICE = Service(
    **about("network"),
    routes=[_notifying(r) for r in [*extensions.ROUTES, *networks.ROUTES, *subnets.ROUTES, *subnetpools.ROUTES, *ports.ROUTES,
            *security_groups.ROUTES, *security_group_rules.ROUTES, *routers.ROUTES, *router_interfaces.ROUTES,
            *floating_ips.ROUTES, *floatingip_pools.ROUTES, *port_forwardings.ROUTES, *quotas.ROUTES, *agents.ROUTES, *availability_zones.ROUTES,
            *network_ip_availability.ROUTES, *tags.ROUTES, *qos.ROUTES, *service_providers.ROUTES,
            *flavors.ROUTES, *agent_schedulers.ROUTES, *auto_allocated_topology.ROUTES, *trunks.ROUTES,
            *rbac_policies.ROUTES, *address_scopes.ROUTES, *port_bindings.ROUTES, *metering.ROUTES]],
    render_error=errors.render,
    policies=policies.RULES,
    bootstrap=bootstrap.run,
    startup=startup,
)
common.bind(SERVICE)

__all__ = ["SERVICE"]
