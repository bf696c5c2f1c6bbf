"""Networks and subnets, routers, security groups, floating IPs, and the network topology SVG."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.web import ROOT, Page, redirect, view

P = ROOT + "/project"


@view
async def list_networks(page: Page) -> Response:
    networks = (await page.api.get("network", "/networks")).get("networks", [])
    subnets = (await page.api.get("network", "/subnets")).get("subnets", [])
    by_net: dict[str, list[dict[str, Any]]] = {}
    for s in subnets:
        by_net.setdefault(s["network_id"], []).append(s)
    return await page.render("networks.html", networks=networks, subnets=by_net)


@view
async def create_network(page: Page) -> Response:
    net = (await page.api.post("network", "/networks", {"network": {"name": page.field("name")}}))["network"]
    if page.field("cidr"):
        subnet: dict[str, Any] = {"network_id": net["id"], "cidr": page.field("cidr"), "ip_version": 4,
                                  "name": page.field("subnet_name") or f"{net['name']}-subnet"}
        if page.field("gateway_ip"):
            subnet["gateway_ip"] = page.field("gateway_ip")
        await page.api.post("network", "/subnets", {"subnet": subnet})
    return redirect(P + "/networks/", ("success", f"Created network \"{net['name']}\"."))


@view
async def delete_network(page: Page) -> Response:
    await page.api.delete("network", f"/networks/{page.params['network_id']}")
    return redirect(P + "/networks/", ("success", "Deleted the network."))


@view
async def list_routers(page: Page) -> Response:
    routers = (await page.api.get("network", "/routers")).get("routers", [])
    networks = (await page.api.get("network", "/networks")).get("networks", [])
    subnets = (await page.api.get("network", "/subnets")).get("subnets", [])
    return await page.render("routers.html", routers=routers, names={n["id"]: n["name"] for n in networks},
                             external=[n for n in networks if n.get("router:external")], subnets=subnets)


@view
async def create_router(page: Page) -> Response:
    router: dict[str, Any] = {"name": page.field("name")}
    if page.field("external_network"):
        router["external_gateway_info"] = {"network_id": page.field("external_network")}
    created = (await page.api.post("network", "/routers", {"router": router}))["router"]
    if page.field("subnet"):
        await page.api.put("network", f"/routers/{created['id']}/add_router_interface",
                           {"subnet_id": page.field("subnet")})
    return redirect(P + "/routers/", ("success", f"Created router \"{created['name']}\"."))


@view
async def add_interface(page: Page) -> Response:
    await page.api.put("network", f"/routers/{page.params['router_id']}/add_router_interface",
                       {"subnet_id": page.field("subnet")})
    return redirect(P + "/routers/", ("success", "Added the interface."))


@view
async def list_security_groups(page: Page) -> Response:
    groups = (await page.api.get("network", f"/security-groups?project_id={page.session['project_id']}"))
    return await page.render("security_groups.html", groups=groups.get("security_groups", []))


@view
async def create_security_group(page: Page) -> Response:
    group = {"name": page.field("name"), "description": page.field("description")}
    await page.api.post("network", "/security-groups", {"security_group": group})
    return redirect(P + "/security_groups/", ("success", f"Created security group \"{group['name']}\"."))


@view
async def add_rule(page: Page) -> Response:
    rule: dict[str, Any] = {"security_group_id": page.params["group_id"], "direction": "ingress",
                            "ethertype": "IPv4", "protocol": page.field("protocol") or None}
    if page.field("port"):
        rule["port_range_min"] = rule["port_range_max"] = int(page.field("port"))
    if page.field("remote_ip_prefix"):
        rule["remote_ip_prefix"] = page.field("remote_ip_prefix")
    await page.api.post("network", "/security-group-rules", {"security_group_rule": rule})
    return redirect(P + "/security_groups/", ("success", "Added the rule."))


@view
async def list_floating_ips(page: Page) -> Response:
    fips = (await page.api.get("network", "/floatingips")).get("floatingips", [])
    networks = (await page.api.get("network", "/networks?router:external=true")).get("networks", [])
    return await page.render("floating_ips.html", fips=fips, external=networks)


@view
async def floating_ip_action(page: Page) -> Response:
    if page.field("action") == "allocate":
        await page.api.post("network", "/floatingips",
                            {"floatingip": {"floating_network_id": page.field("network")}})
    else:
        await page.api.delete("network", f"/floatingips/{page.field('id')}")
    return redirect(P + "/floating_ips/", ("success", "Done."))


def topology(networks: list[dict[str, Any]], routers: list[dict[str, Any]], servers: list[dict[str, Any]],
             ports: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions for the SVG: networks as vertical bars, routers and servers as boxes on the left
    joined to each network they have a port on (a router's gateway joins its external network)."""
    col = {n["id"]: i for i, n in enumerate(networks)}
    links: dict[str, set[str]] = {}
    for p in ports:
        if p.get("network_id") in col and p.get("device_id"):
            links.setdefault(p["device_id"], set()).add(p["network_id"])
    for r in routers:
        gw = (r.get("external_gateway_info") or {}).get("network_id")
        if gw in col:
            links.setdefault(r["id"], set()).add(gw)
    devices = [{"id": r["id"], "name": r.get("name") or r["id"][:8], "kind": "router"} for r in routers]
    devices += [{"id": s["id"], "name": s.get("name") or s["id"][:8], "kind": "server"} for s in servers]
    box_w, left, gap = 150, 20, 120
    width = left + box_w + 60 + gap * max(1, len(networks))
    height = 80 + 60 * max(1, len(devices))
    bars = [{"id": n["id"], "name": n.get("name") or n["id"][:8], "x": left + box_w + 60 + gap * i,
             "external": bool(n.get("router:external"))} for i, n in enumerate(networks)]
    for j, d in enumerate(devices):
        d["y"] = 60 + 60 * j
        d["links"] = [bars[col[nid]]["x"] for nid in sorted(links.get(d["id"], ()), key=col.get)]
    return {"width": width, "height": height, "bars": bars, "devices": devices, "box_w": box_w, "left": left}


@view
async def network_topology(page: Page) -> Response:
    api = page.api
    networks = (await api.get("network", "/networks")).get("networks", [])
    routers = (await api.get("network", "/routers")).get("routers", [])
    ports = (await api.get("network", "/ports")).get("ports", [])
    servers = (await api.try_get("compute", "/servers", {})).get("servers", [])
    return await page.render("topology.html", topo=topology(networks, routers, servers, ports))


ROUTES = [
    Route(P + "/networks/", list_networks),
    Route(P + "/networks/", create_network, methods=["POST"]),
    Route(P + "/networks/{network_id}/delete", delete_network, methods=["POST"]),
    Route(P + "/routers/", list_routers),
    Route(P + "/routers/", create_router, methods=["POST"]),
    Route(P + "/routers/{router_id}/interface", add_interface, methods=["POST"]),
    Route(P + "/security_groups/", list_security_groups),
    Route(P + "/security_groups/", create_security_group, methods=["POST"]),
    Route(P + "/security_groups/{group_id}/rules", add_rule, methods=["POST"]),
    Route(P + "/floating_ips/", list_floating_ips),
    Route(P + "/floating_ips/", floating_ip_action, methods=["POST"]),
    Route(P + "/network_topology/", network_topology),
]
