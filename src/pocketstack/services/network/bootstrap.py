"""First start, DevStack style: a `public` external network (172.24.4.0/24, admin project, the
default one for auto-allocation: `--default`, as DevStack makes it), the shared default subnet
pools (`shared-default-subnetpool-v4` 10.0.0.0/22 by /26, `shared-default-subnetpool-v6`
fd00:0:0:1::/56 by /64, as USE_SUBNETPOOL=True makes them), a
`private` network with `private-subnet` 10.0.0.0/26 from the v4 pool and `router1` for demo,
default security groups for every DevStack project, and the fake agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from pocketstack.core.context import Context
from pocketstack.services.network import (
    agents, common, networks, router_interfaces, routers, security_groups, subnetpools, subnets)


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    common.ensure_policy()
    projects = info["identity"]["projects"]
    admin = Context(request_id="bootstrap", user_id="bootstrap", project_id=projects["admin"],
                    roles=["admin", "member", "reader"])
    demo = Context(request_id="bootstrap", user_id="bootstrap", project_id=projects["demo"],
                   roles=["member", "reader"])
    agents.bootstrap(conn)          # first, so the DHCP agent serves the networks made below
    public = networks.create_network(conn, admin, {
        "name": "public", "router:external": True, "is_default": True, "provider:network_type": "flat",
        "provider:physical_network": "public"})
    public_subnet = subnets.create_subnet(conn, admin, {
        "name": "public-subnet", "network_id": public["id"], "ip_version": 4, "cidr": "172.24.4.0/24",
        "gateway_ip": "172.24.4.1", "enable_dhcp": False})
    pool_v4 = subnetpools.create_pool(conn, admin, {
        "name": "shared-default-subnetpool-v4", "prefixes": ["10.0.0.0/22"], "default_prefixlen": 26,
        "shared": True, "is_default": True})
    subnetpools.create_pool(conn, admin, {
        "name": "shared-default-subnetpool-v6", "prefixes": ["fd00:0:0:1::/56"], "default_prefixlen": 64,
        "shared": True, "is_default": True})
    private = networks.create_network(conn, demo, {"name": "private"})
    private_subnet = subnets.create_subnet(conn, demo, {
        "name": "private-subnet", "network_id": private["id"], "ip_version": 4, "subnetpool_id": pool_v4["id"],
        "cidr": "10.0.0.0/26", "gateway_ip": "10.0.0.1"})
    router = routers.create_router(conn, demo, {"name": "router1"})
    gateway = routers.set_gateway(conn, admin, router, {"network_id": public["id"]}, "update")
    common.touch(conn, routers.t.routers, router["id"], **gateway)
    router_interfaces.add_interface(conn, demo, {**router, **gateway}, {"subnet_id": private_subnet["id"]})
    for name in ("admin", "demo", "alt_demo", "service"):
        if name in projects:
            security_groups.ensure_default(conn, projects[name])
    return {"public_network_id": public["id"], "public_subnet_id": public_subnet["id"],
            "private_network_id": private["id"], "private_subnet_id": private_subnet["id"],
            "router_id": router["id"]}
