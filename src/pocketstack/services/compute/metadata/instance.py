"""What the metadata service knows of one server, gathered once per lookup (nova's InstanceMetadata.__init__ and
get_metadata_by_instance_id): compute's own rows, and the server's ports, subnets and floating IPs read from the
network service's REST API with compute's service token (nova reads neutron with an admin context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client, service_auth
from pocketstack.services.compute import tables as t

N = "/networking/v2.0"


@dataclass
class Subnet:
    """One subnet of a VIF as nova's network model holds it (nova/network/neutron.py _get_subnets_from_port)."""
    id: str
    cidr: str
    version: int
    gateway: str | None
    enable_dhcp: bool
    dhcp_server: str | None
    ipv6_address_mode: str | None
    dns: list[str]
    routes: list[tuple[str, str]]              # (destination cidr, nexthop)
    ips: list[str] = field(default_factory=list)
    floating: list[str] = field(default_factory=list)


@dataclass
class Vif:
    port_id: str
    mac: str
    network_id: str
    mtu: int | None
    vif_type: str
    tag: str | None
    subnets: list[Subnet]


@dataclass
class InstanceData:
    server: dict[str, Any]
    meta: dict[str, str]
    keypair: dict[str, Any] | None              # name, type, public_key
    vifs: list[Vif]
    volumes: list[dict[str, Any]]               # compute_volume_attachments rows
    password: str | None = None


def load(server_id: str) -> InstanceData | None:
    """The server (not deleted) and everything its metadata shows; None when there is no such server."""
    with db.reader() as conn:
        row = conn.execute(sa.select(t.servers).where(t.servers.c.id == server_id,
                                                      t.servers.c.deleted.is_(False))).mappings().first()
        if row is None:
            return None
        server = dict(row)
        meta = dict(conn.execute(sa.select(t.server_metadata.c.key, t.server_metadata.c.value).where(
            t.server_metadata.c.server_id == server_id)).tuples().all())
        keypair = None
        if server["key_name"]:
            key = conn.execute(sa.select(t.keypairs).where(t.keypairs.c.user_id == server["user_id"],
                                                           t.keypairs.c.name == server["key_name"])).mappings().first()
            # nova embeds the keypair in the instance at boot; a key deleted since still shows what was booted with
            keypair = {"name": server["key_name"], "type": key["type"] if key else "ssh",
                       "public_key": server["key_data"] or (key["public_key"] if key else "")}
        ports = [dict(r) for r in conn.execute(sa.select(t.server_ports).where(
            t.server_ports.c.server_id == server_id).order_by(t.server_ports.c.position)).mappings()]
        volumes = [dict(r) for r in conn.execute(sa.select(t.volume_attachments).where(
            t.volume_attachments.c.server_id == server_id).order_by(t.volume_attachments.c.created_at)).mappings()]
    return InstanceData(server, meta, keypair, vifs(ports), volumes, password(server_id))


def password(server_id: str) -> str | None:
    with db.reader() as conn:
        return conn.execute(sa.select(t.server_passwords.c.password).where(
            t.server_passwords.c.server_id == server_id)).scalar()


# --- the network service -------------------------------------------------------------------
class _Neutron:
    """GETs with compute's service token, each URL read once per lookup."""

    def __init__(self) -> None:
        self.token = service_auth.token("compute")
        self.seen: dict[str, Any] = {}

    def get(self, path: str) -> Any:
        if path not in self.seen:
            r = internal_client.call("GET", N + path, token=self.token)
            self.seen[path] = r.json() if r.status_code == 200 else None
        return self.seen[path]


def vifs(ports: list[dict[str, Any]]) -> list[Vif]:
    """The server's VIFs from its cached ports (order and tags), with the network service's live view of each."""
    if not ports:
        return []
    neutron = _Neutron()
    return [_vif(neutron, cached) for cached in ports]


def _vif(neutron: _Neutron, cached: dict[str, Any]) -> Vif:
    port = (neutron.get(f"/ports/{cached['port_id']}") or {}).get("port") or {
        "fixed_ips": cached["fixed_ips"], "mac_address": cached["mac_address"], "network_id": cached["network_id"]}
    network = (neutron.get(f"/networks/{port['network_id']}") or {}).get("network") or {}
    floating: dict[str, list[str]] = {}
    for fip in (neutron.get(f"/floatingips?port_id={cached['port_id']}") or {}).get("floatingips", []):
        if fip.get("fixed_ip_address"):
            floating.setdefault(fip["fixed_ip_address"], []).append(fip["floating_ip_address"])
    subnets: dict[str, Subnet] = {}
    for ip in port.get("fixed_ips", []):
        subnet = subnets.get(ip["subnet_id"]) or _subnet(neutron, ip["subnet_id"], port["network_id"])
        if subnet is None:
            continue
        subnets[subnet.id] = subnet
        subnet.ips.append(ip["ip_address"])
        subnet.floating += floating.get(ip["ip_address"], [])
    return Vif(cached["port_id"], port.get("mac_address") or cached["mac_address"], port["network_id"],
               network.get("mtu"), port.get("binding:vif_type") or "unbound", cached.get("tag"), list(subnets.values()))


def _subnet(neutron: _Neutron, subnet_id: str, network_id: str) -> Subnet | None:
    body = (neutron.get(f"/subnets/{subnet_id}") or {}).get("subnet")
    if body is None:
        return None
    dhcp_server = None
    for p in (neutron.get(f"/ports?network_id={network_id}&device_owner=network:dhcp") or {}).get("ports", []):
        dhcp_server = next((i["ip_address"] for i in p["fixed_ips"] if i["subnet_id"] == subnet_id), dhcp_server)
    return Subnet(id=subnet_id, cidr=body["cidr"], version=body["ip_version"], gateway=body.get("gateway_ip"),
                  enable_dhcp=bool(body.get("enable_dhcp")), dhcp_server=dhcp_server,
                  ipv6_address_mode=body.get("ipv6_address_mode"), dns=list(body.get("dns_nameservers") or []),
                  routes=[(r["destination"], r["nexthop"]) for r in body.get("host_routes") or []])
