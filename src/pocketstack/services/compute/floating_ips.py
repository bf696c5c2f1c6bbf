"""The floating IP proxy: /os-floating-ips, /os-floating-ip-pools and the addFloatingIp/removeFloatingIp actions
(api-ref: compute, Floating IPs (DEPRECATED); Floating IP pools (DEPRECATED)), over the network service's
floating IPs; gone after microversion 2.35 (the actions after 2.43)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.security_groups import LAST, N, _call
from pocketstack.services.compute.servers import info_cache

ACTIONS_LAST = V("2.43", "the last version with addFloatingIp and removeFloatingIp")
CREATE = {"type": ["object", "null"], "properties": {"pool": {"type": ["string", "null"]}}}


def _pools(ctx: Context) -> list[dict[str, Any]]:
    return list(_call(ctx, "GET", "/networks?router:external=true")["networks"])


def render(fip: dict[str, Any], pools: dict[str, str]) -> dict[str, Any]:
    port_device = fip.get("port_details") or {}
    return {"id": fip["id"], "ip": fip["floating_ip_address"], "fixed_ip": fip.get("fixed_ip_address"),
            "instance_id": port_device.get("device_id") if fip.get("port_id") else None,
            "pool": pools.get(fip["floating_network_id"], fip["floating_network_id"])}


def _names(ctx: Context) -> dict[str, str]:
    return {n["id"]: n["name"] for n in _pools(ctx)}


def _one(ctx: Context, fip_id: str) -> dict[str, Any]:
    r = internal_client.call("GET", f"{N}/floatingips/{fip_id}", token=ctx.token)
    if r.status_code != 200:
        raise NotFound(f"Floating IP not found for ID {fip_id}")
    return dict(r.json()["floatingip"])


def list_floating_ips(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    fips = _call(ctx, "GET", f"/floatingips?project_id={ctx.project_id}")["floatingips"]
    names = _names(ctx)
    return {"floating_ips": [render(f, names) for f in fips]}


def show_floating_ip(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"floating_ip": render(_one(ctx, rq.params["fip_id"]), _names(ctx))}


def create_floating_ip(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    pool = (rq.body or {}).get("pool")
    pools = _pools(ctx)
    match = [p for p in pools if p["name"] == pool or p["id"] == pool] if pool else pools[:1]
    if not match:
        raise NotFound("Floating IP pool not found.")
    fip = _call(ctx, "POST", "/floatingips", {"floatingip": {"floating_network_id": match[0]["id"]}})["floatingip"]
    return {"floating_ip": render(fip, {p["id"]: p["name"] for p in pools})}


def delete_floating_ip(ctx: Context, rq: ApiRequest) -> None:
    fip = _one(ctx, rq.params["fip_id"])
    _call(ctx, "DELETE", f"/floatingips/{fip['id']}")
    if fip.get("port_id"):  # nova's disassociate_and_release_floating_ip refreshes the instance's cache
        info_cache.refresh_all(ctx.token, [info_cache.server_of_port(fip["port_id"])])


def list_pools(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"floating_ip_pools": [{"name": p["name"]} for p in _pools(ctx)]}


def _by_address(ctx: Context, address: str) -> dict[str, Any]:
    fips = _call(ctx, "GET", f"/floatingips?floating_ip_address={address}")["floatingips"]
    if not fips:
        raise NotFound("floating IP not found")
    return dict(fips[0])


def add_floating_ip(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> None:
    if not isinstance(body, dict) or not body.get("address"):
        raise BadRequest("Address not specified")
    fip = _by_address(ctx, body["address"])
    with db.reader() as conn:
        ports = conn.execute(sa.select(t.server_ports).where(t.server_ports.c.server_id == row["id"])
                             .order_by(t.server_ports.c.position)).mappings().all()
    candidates = [(p["port_id"], ip["ip_address"]) for p in ports for ip in p["fixed_ips"] if ip["version"] == 4
                  and body.get("fixed_address") in (None, ip["ip_address"])]
    if not candidates:
        raise BadRequest("No nw_info cache associated with instance" if not ports else
                         "Specified fixed address not assigned to instance")
    port_id, fixed = candidates[0]
    previous = info_cache.server_of_port(fip["port_id"]) if fip.get("port_id") else None
    try:
        _call(ctx, "PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": port_id, "fixed_ip_address": fixed}})
    except Exception as exc:  # noqa: BLE001 - nova answers 400 for any association failure
        raise BadRequest(f"Unable to associate floating IP {body['address']} to fixed IP {fixed} for instance "
                         f"{row['id']}. Error: {exc}") from None
    # nova's associate_floating_ip: the instance it was on (if another) and this one re-read their ports
    info_cache.refresh_all(ctx.token, [previous if previous != row["id"] else None, row["id"]])


def remove_floating_ip(ctx: Context, rq: ApiRequest, row: dict[str, Any], key: str, body: Any) -> None:
    if not isinstance(body, dict) or not body.get("address"):
        raise BadRequest("Address not specified")
    fip = _by_address(ctx, body["address"])
    with db.reader() as conn:
        ours = {p.port_id for p in conn.execute(sa.select(t.server_ports.c.port_id).where(
            t.server_ports.c.server_id == row["id"]))}
    if fip.get("port_id") not in ours:
        raise Conflict(f"Floating IP {body['address']} is not associated with instance {row['id']}.")
    _call(ctx, "PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    info_cache.refresh(ctx.token, row["id"])


F = "/v2.1/os-floating-ips"
P = "os_compute_api:os-floating-ips:"
ROUTES = [
    route("GET", F, list_floating_ips, policy=P + "list", max_version=LAST),
    route("POST", F, create_floating_ip, policy=P + "create", body=CREATE, max_version=LAST),
    route("GET", F + "/{fip_id}", show_floating_ip, policy=P + "show", max_version=LAST),
    route("DELETE", F + "/{fip_id}", delete_floating_ip, policy=P + "delete", max_version=LAST, status=202),
    route("GET", "/v2.1/os-floating-ip-pools", list_pools, policy="os_compute_api:os-floating-ip-pools",
          max_version=LAST),
]
