"""IP address management: allocation pools, gateway and fixed IPs, SLAAC addresses.

Every allocation runs inside the caller's write transaction (BEGIN IMMEDIATE on SQLite); the
(subnet_id, ip_address) primary key keeps an address from being handed out twice elsewhere.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import snapshots
from pocketstack.core.errors import BadRequest, Conflict
from pocketstack.services.network import tables as t

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
AUTO_MODES = ("slaac", "dhcpv6-stateless")


def network_of(cidr: str) -> IPNet:
    return ipaddress.ip_network(cidr, strict=False)


def default_pools(net: IPNet, gateway: str | None) -> list[dict[str, str]]:
    """Every host address of the subnet except the gateway (neutron ipam_utils.generate_pools)."""
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    if net.prefixlen >= (31 if net.version == 4 else 127):
        first, last = int(net.network_address), int(net.broadcast_address)
    ranges = [(first, last)]
    if gateway is not None:
        g = int(ipaddress.ip_address(gateway))
        ranges = [r for lo, hi in ranges for r in ((lo, g - 1), (g + 1, hi)) if lo <= g <= hi] or ranges
        ranges = [(lo, hi) for lo, hi in ranges if lo <= hi]
    make = ipaddress.ip_address
    return [{"start": str(make(lo) if net.version == 4 else ipaddress.IPv6Address(lo)),
             "end": str(make(hi) if net.version == 4 else ipaddress.IPv6Address(hi))} for lo, hi in ranges]


def validate_pools(net: IPNet, pools: Any, gateway: str | None) -> list[dict[str, str]]:
    if not isinstance(pools, list):
        raise BadRequest(f"Invalid input for allocation_pools. Reason: '{pools}' is not a list.", kind="InvalidInput")
    ranges = []
    for pool in pools:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise BadRequest(f"Invalid input for allocation_pools. Reason: Invalid data format for IP pool: "
                             f"'{pool}'.", kind="InvalidInput")
        try:
            lo, hi = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        except ValueError:
            raise BadRequest(f"The allocation pool {pool['start']}-{pool['end']} is not valid.",
                             kind="InvalidAllocationPool") from None
        if lo.version != net.version or hi.version != net.version or lo > hi:
            raise BadRequest(f"The allocation pool {lo}-{hi} is not valid.", kind="InvalidAllocationPool")
        edge = net.version == 4 and net.prefixlen < 31 and (lo == net.network_address or hi == net.broadcast_address)
        if lo not in net or hi not in net or edge:
            raise BadRequest(f"The allocation pool {lo}-{hi} spans beyond the subnet cidr {net}.",
                             kind="OutOfBoundsAllocationPool")
        ranges.append((lo, hi))
    ranges.sort()
    for (lo1, hi1), (lo2, hi2) in zip(ranges, ranges[1:]):
        if lo2 <= hi1:
            raise BadRequest(f"Found overlapping allocation pools: {lo1}-{hi1} {lo2}-{hi2} for subnet {net}.",
                             kind="OverlappingAllocationPools")
    if gateway is not None:
        check_gateway_outside(gateway, [{"start": str(lo), "end": str(hi)} for lo, hi in ranges])
    return [{"start": str(lo), "end": str(hi)} for lo, hi in ranges]


def check_gateway_outside(gateway: str, pools: list[dict[str, str]]) -> None:
    g = ipaddress.ip_address(gateway)
    for pool in pools:
        if ipaddress.ip_address(pool["start"]) <= g <= ipaddress.ip_address(pool["end"]):
            raise Conflict(f"Gateway ip {gateway} conflicts with allocation pool {pool['start']}-{pool['end']}",
                           kind="GatewayConflictWithAllocationPools")


def in_pools(ip: str, pools: list[dict[str, str]]) -> bool:
    a = ipaddress.ip_address(ip)
    return any(ipaddress.ip_address(p["start"]) <= a <= ipaddress.ip_address(p["end"]) for p in pools)


def pool_size(pools: list[dict[str, str]]) -> int:
    return sum(int(ipaddress.ip_address(p["end"])) - int(ipaddress.ip_address(p["start"])) + 1 for p in pools)


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of a MAC in a /64 (RFC 4291 modified EUI-64)."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xFF, 0xFE] + octets[3:]
    return str(ipaddress.IPv6Address(int(network_of(cidr).network_address) | int.from_bytes(bytes(iid), "big")))


def is_auto(subnet: Any) -> bool:
    return subnet["ip_version"] == 6 and subnet["ipv6_address_mode"] in AUTO_MODES


def is_taken(conn: Connection, subnet_id: str, ip: str) -> bool:
    return conn.execute(sa.select(t.ip_allocations.c.port_id).where(
        t.ip_allocations.c.subnet_id == subnet_id, t.ip_allocations.c.ip_address == ip)).first() is not None


def allocated(conn: Connection, subnet_id: str) -> set[str]:
    return set(conn.execute(sa.select(t.ip_allocations.c.ip_address)
                            .where(t.ip_allocations.c.subnet_id == subnet_id)).scalars())


def lock_subnet(conn: Connection, subnet_id: str) -> None:
    """Serialize allocations on one subnet: a row lock on PostgreSQL (SQLite writers are already
    serialized by BEGIN IMMEDIATE), so two concurrent creates never pick the same address."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.select(t.subnets.c.id).where(t.subnets.c.id == subnet_id).with_for_update())


def allocate(conn: Connection, subnet: Any, port_id: str, mac: str, ip: str | None = None,
             position: int = 0) -> str:
    """Give the port an address on the subnet: the one asked for, its SLAAC address, or the first free one."""
    net = network_of(subnet["cidr"])
    lock_subnet(conn, subnet["id"])
    if ip is not None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            raise BadRequest(f"Invalid input for operation: '{ip}' is not a valid IP address.",
                             kind="InvalidInput") from None
        if address not in net or (net.version == 4 and net.prefixlen < 31 and address in
                                  (net.network_address, net.broadcast_address)):
            raise BadRequest(f"IP address {ip} is not a valid IP for the specified subnet.", kind="InvalidIpForSubnet")
        ip = str(address)
        if is_taken(conn, subnet["id"], ip):
            raise Conflict(f"IP address {ip} already allocated in subnet {subnet['id']}",
                           kind="IpAddressAlreadyAllocated")
    elif is_auto(subnet):
        ip = eui64(subnet["cidr"], mac)
        if is_taken(conn, subnet["id"], ip):
            raise Conflict(f"IP address {ip} already allocated in subnet {subnet['id']}",
                           kind="IpAddressAlreadyAllocated")
    else:
        ip = next_free(conn, subnet)
        if ip is None:
            raise Conflict(f"No more IP addresses available for subnet {subnet['id']}.",
                           kind="IpAddressGenerationFailure")
    conn.execute(t.ip_allocations.insert().values(subnet_id=subnet["id"], ip_address=ip, port_id=port_id,
                                                  network_id=subnet["network_id"], position=position))
    return ip


# subnet id -> the lowest address that may be free, as this process last saw it. Only a hint: every
# candidate is checked against the table (inside the allocating transaction), so a stale hint costs
# a probe, never a duplicate; a release lowers it, so the lowest free address is still handed out.
_hints: dict[str, int] = {}
snapshots.forget_on_restore(_hints.clear)
_PROBES = 64


def next_free(conn: Connection, subnet: Any) -> str | None:
    """The lowest free address of the pools: probe from the hint with primary-key lookups, and fall
    back to reading the subnet's allocations when the probes run long or find nothing."""
    pools = [(int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
             for p in subnet["allocation_pools"]]
    make = ipaddress.IPv4Address if subnet["ip_version"] == 4 else ipaddress.IPv6Address
    hint, probes = _hints.get(subnet["id"]), 0
    for lo, hi in sorted(pools):
        n = lo if hint is None else max(lo, hint)
        while n <= hi and probes < _PROBES:
            candidate = str(make(n))
            if not is_taken(conn, subnet["id"], candidate):
                _hints[subnet["id"]] = n + 1
                return candidate
            n, probes = n + 1, probes + 1
    found = first_free(subnet["allocation_pools"], allocated(conn, subnet["id"]))
    if found is not None:
        _hints[subnet["id"]] = int(ipaddress.ip_address(found)) + 1
    return found


def has_free(conn: Connection, subnet: Any) -> bool:
    found = next_free(conn, subnet)
    if found is not None:
        _hints[subnet["id"]] = int(ipaddress.ip_address(found))      # still free: leave it to the allocation
    return found is not None


def first_free(pools: list[dict[str, str]], taken: set[str]) -> str | None:
    for pool in pools:
        lo, hi = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        n = int(lo)
        while n <= int(hi):
            candidate = str(ipaddress.ip_address(n) if lo.version == 4 else ipaddress.IPv6Address(n))
            if candidate not in taken:
                return candidate
            n += 1
    return None


def release(conn: Connection, port_id: str, keep: set[tuple[str, str]] = frozenset()) -> None:
    rows = conn.execute(sa.select(t.ip_allocations.c.subnet_id, t.ip_allocations.c.ip_address)
                        .where(t.ip_allocations.c.port_id == port_id)).all()
    for subnet_id, ip in rows:
        if (subnet_id, ip) not in keep:
            conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.subnet_id == subnet_id,
                                                         t.ip_allocations.c.ip_address == ip))
            if subnet_id in _hints:
                _hints[subnet_id] = min(_hints[subnet_id], int(ipaddress.ip_address(ip)))
