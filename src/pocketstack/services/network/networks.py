"""Networks: /v2.0/networks[/{network_id}] (api-ref: network, Networks; provider, external-net,
net-mtu(-writable), port-security, network_availability_zone, l2_adjacency)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, dns, qos, quotas, rbac_policies, security_groups
from pocketstack.services.network import tables as t

# --- schemas -------------------------------------------------------------------------
NETWORK_TYPES = ("flat", "vlan", "vxlan", "geneve", "gre", "local")
ZONES = ("nova",)
DEFAULT_MTU = {"geneve": 1442, "vxlan": 1450, "gre": 1458}
PROVIDER = {"provider:network_type": "network_type", "provider:physical_network": "physical_network",
            "provider:segmentation_id": "segmentation_id"}
WRITABLE = {"name", "admin_state_up", "shared", "router:external", "mtu", "port_security_enabled",
            "is_default", "availability_zone_hints", "dns_domain", "qos_policy_id", *PROVIDER}
UPDATABLE = WRITABLE - {"availability_zone_hints"}
DEFAULTS = {"shared": False, "router:external": False, "is_default": False}
COLUMNS = {"name": "name", "admin_state_up": "admin_state_up", "shared": "shared", "router:external": "external",
           "mtu": "mtu", "port_security_enabled": "port_security_enabled", "is_default": "is_default",
           "status": "status", "id": "id", "project_id": "project_id", "tenant_id": "project_id",
           "description": "description", "revision_number": "revision_number", **PROVIDER}
ATTRIBUTES = {*common.STANDARD, *COLUMNS, "subnets", "availability_zone_hints", "availability_zones",
              "ipv4_address_scope", "ipv6_address_scope", "l2_adjacency", "qos_policy_id", "segments"}


# --- views ---------------------------------------------------------------------------
def render_networks(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    tags = common.tags_of(conn, ids)
    subnets: dict[str, list[str]] = {i: [] for i in ids}
    for network_id, subnet_id in conn.execute(sa.select(t.subnets.c.network_id, t.subnets.c.id)
                                              .where(t.subnets.c.network_id.in_(ids)).order_by(t.subnets.c.id)):
        subnets[network_id].append(subnet_id)
    policies = qos.bindings_of(conn, ids)
    grants = rbac_policies.grants_of(conn, "network", ids)
    from pocketstack.services.network import address_scopes
    scopes = address_scopes.network_scopes(conn, ids)
    out = [{**render_network(ctx, r, subnets[r["id"]], tags[r["id"]]), "qos_policy_id": policies.get(r["id"])}
           for r in rows]
    if ctx.is_admin:
        multi = segments_of(conn, ids)
        for item in out:
            if multi[item["id"]]:
                for attr in PROVIDER:
                    item.pop(attr, None)
                item["segments"] = multi[item["id"]]
    for item in out:
        item.update(ipv4_address_scope=scopes[item["id"]].get(4), ipv6_address_scope=scopes[item["id"]].get(6))
        for action, target in grants[item["id"]]:
            if action == rbac_policies.SHARED and target in ("*", ctx.project_id):
                item["shared"] = True
            if action == rbac_policies.EXTERNAL:
                item["router:external"] = True
    return out


def render_network(ctx: Context, row: Any, subnets: list[str], tags: list[str]) -> dict[str, Any]:
    out = common.standard_view(row, tags)
    out.update({"status": row["status"], "admin_state_up": row["admin_state_up"], "shared": row["shared"],
                "router:external": row["external"], "is_default": row["is_default"], "mtu": row["mtu"],
                "port_security_enabled": row["port_security_enabled"], "subnets": subnets,
                "availability_zone_hints": row["availability_zone_hints"], "availability_zones": list(ZONES),
                "ipv4_address_scope": None, "ipv6_address_scope": None, "l2_adjacency": True,
                "dns_domain": row.get("dns_domain") or ""})
    if ctx.is_admin:
        out.update({attr: row[col] for attr, col in PROVIDER.items()})
    return out


def visible(ctx: Context) -> Any:
    return sa.or_(t.networks.c.project_id == ctx.project_id, t.networks.c.shared.is_(True),
                  t.networks.c.external.is_(True),
                  rbac_policies.granted("network", t.networks.c.id, ctx.project_id,
                                        (rbac_policies.SHARED, rbac_policies.EXTERNAL)))


def is_external(conn: Connection, row: dict[str, Any]) -> bool:
    """router:external: the '*' grant (the column) or an access_as_external grant to some project."""
    return bool(row["external"]) or conn.execute(sa.select(rbac_policies.r.c.id).where(
        rbac_policies.r.c.object_type == "network", rbac_policies.r.c.object_id == row["id"],
        rbac_policies.r.c.action == rbac_policies.EXTERNAL).limit(1)).first() is not None


def shared_with(conn: Connection, row: dict[str, Any], project_id: str | None) -> bool:
    """shared as project_id sees it: the flag, or an access_as_shared grant to the project."""
    return bool(row["shared"]) or conn.execute(sa.select(sa.literal(1)).where(rbac_policies.granted(
        "network", sa.literal(row["id"]), project_id, (rbac_policies.SHARED,)))).first() is not None


NETWORKS = common.Collection(
    "network", "networks", t.networks, "Network", ATTRIBUTES, render_networks, visible,
    filters=common.column_filters(t.networks, COLUMNS),
    sort_keys={"name", "status", "admin_state_up", "mtu", "shared", "project_id", "created_at", "updated_at",
               "revision_number", "description"})


# --- logic ---------------------------------------------------------------------------
def target_of(row: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "shared": row["shared"],
            "external": row["external"], "network_project_id": row["project_id"]}


def validate(item: dict[str, Any]) -> dict[str, Any]:
    """Attribute values of a create/update body -> column values."""
    values: dict[str, Any] = {}
    if "name" in item:
        if not isinstance(item["name"], str) or len(item["name"]) > 255:
            raise common.invalid("name", f"'{item['name']}' is not a valid string")
        values["name"] = item["name"]
    for attr, col in (("admin_state_up", "admin_state_up"), ("shared", "shared"), ("router:external", "external"),
                      ("port_security_enabled", "port_security_enabled"), ("is_default", "is_default")):
        if attr in item:
            values[col] = common.to_bool(item[attr], attr)
    if "mtu" in item:
        mtu = item["mtu"]
        if isinstance(mtu, bool) or not isinstance(mtu, int) or mtu < 0:
            raise common.invalid("mtu", f"'{mtu}' should be non-negative")
        values["mtu"] = mtu
    if "availability_zone_hints" in item:
        hints = item["availability_zone_hints"]
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            raise common.invalid("availability_zone_hints", f"'{hints}' is not a list")
        for hint in hints:
            if hint not in ZONES:
                raise NotFound(f"AvailabilityZone {hint} could not be found.", kind="AvailabilityZoneNotFound")
        values["availability_zone_hints"] = hints
    if "dns_domain" in item:
        values["dns_domain"] = dns.dns_domain(item["dns_domain"])
    return values


def provider(conn: Connection, item: dict[str, Any]) -> dict[str, Any]:
    """provider:* attributes, or a geneve segment with the next free VNI."""
    kind = item.get("provider:network_type") or "geneve"
    if kind not in NETWORK_TYPES:
        raise BadRequest(f"Invalid input for operation: network_type value '{kind}' not supported.",
                         kind="InvalidInput")
    physnet = item.get("provider:physical_network")
    segment = item.get("provider:segmentation_id")
    if kind in ("flat", "vlan") and not physnet:
        physnet = "public"
    if kind == "flat" and segment is not None:
        raise BadRequest("Invalid input for operation: segmentation_id requires VLAN network type.",
                         kind="InvalidInput")
    if kind in ("vlan", "geneve", "vxlan", "gre") and segment is None:
        top = conn.execute(sa.select(sa.func.max(t.networks.c.segmentation_id))
                           .where(t.networks.c.network_type == kind)).scalar()
        segment = (top or 0) + 1
    elif segment is not None:
        if isinstance(segment, bool) or not str(segment).isdigit():
            raise common.invalid("provider:segmentation_id", f"'{segment}' is not an integer")
        segment = int(segment)
        taken = conn.execute(sa.select(t.networks.c.id).where(
            t.networks.c.network_type == kind, t.networks.c.physical_network == physnet,
            t.networks.c.segmentation_id == segment)).first()
        if taken:
            raise Conflict(f"Unable to create the network. The VLAN {segment} on physical network {physnet} "
                           "is in use.", kind="VlanIdInUse")
    return {"network_type": kind, "physical_network": physnet, "segmentation_id": segment,
            "mtu": DEFAULT_MTU.get(kind, 1500)}


def segments_of(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """multi-provider: network id -> its segments (only networks created with several)."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    s = t.network_segments
    for r in conn.execute(sa.select(s).where(s.c.network_id.in_(ids)).order_by(s.c.network_id, s.c.position)):
        out[r.network_id].append({"provider:network_type": r.network_type,
                                  "provider:physical_network": r.physical_network,
                                  "provider:segmentation_id": r.segmentation_id})
    return out


def multi_segments(conn: Connection, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The `segments` of a create body, each validated (and allocated) like provider:* attributes."""
    if any(k in item for k in PROVIDER):
        raise BadRequest("Segments and provider values cannot both be set.",
                         kind="SegmentsSetInConjunctionWithProviders")
    segments = item["segments"]
    if not isinstance(segments, list) or not segments or not all(
            isinstance(x, dict) and not set(x) - set(PROVIDER) for x in segments):
        raise common.invalid("segments", f"'{segments}' is not a valid list of segments")
    keys = [tuple(x.get(k) for k in PROVIDER) for x in segments]
    if len(set(keys)) != len(keys):
        raise BadRequest("Duplicate segment entry in request.", kind="SegmentsContainDuplicateEntry")
    out: list[dict[str, Any]] = []
    s = t.network_segments
    for x in segments:
        seg = provider(conn, x)
        if x.get("provider:segmentation_id") is None and seg["segmentation_id"] is not None:
            top = conn.execute(sa.select(sa.func.max(s.c.segmentation_id)).where(
                s.c.network_type == seg["network_type"])).scalar()
            earlier = [o["segmentation_id"] or 0 for o in out if o["network_type"] == seg["network_type"]]
            seg["segmentation_id"] = max([seg["segmentation_id"], (top or 0) + 1, *[e + 1 for e in earlier]])
        elif seg["segmentation_id"] is not None and conn.execute(sa.select(s.c.network_id).where(
                s.c.network_type == seg["network_type"], s.c.physical_network == seg["physical_network"],
                s.c.segmentation_id == seg["segmentation_id"])).first():
            raise Conflict(f"Unable to create the network. The VLAN {seg['segmentation_id']} on physical network "
                           f"{seg['physical_network']} is in use.", kind="VlanIdInUse")
        out.append(seg)
    return out


def create_network(conn: Connection, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    project_id = common.owner(ctx, item)
    common.enforce_attrs(ctx, "create", "network", item, {"project_id": project_id}, DEFAULTS)
    quotas.enforce(conn, project_id, "network")
    segments = multi_segments(conn, item) if "segments" in item else []
    first = {**segments[0], "mtu": min(x["mtu"] for x in segments)} if segments else provider(conn, item)
    values = {**first, **validate(item)}
    check_mtu(values["mtu"], first["mtu"])
    network_id = new_uuid()
    check_one_default(conn, network_id, values)
    row = common.new_row(**{"id": network_id, "project_id": project_id, "name": "", "status": "ACTIVE",
                            "admin_state_up": True, "shared": False, "external": False, "is_default": False,
                            "port_security_enabled": True, "availability_zone_hints": [],
                            "dns_domain": "", "description": item.get("description", ""), **values})
    conn.execute(t.networks.insert().values(**row))
    if len(segments) > 1:
        conn.execute(t.network_segments.insert(), [
            {"network_id": row["id"], "position": i, "network_type": x["network_type"],
             "physical_network": x["physical_network"], "segmentation_id": x["segmentation_id"]}
            for i, x in enumerate(segments)])
    rbac_policies.sync_wildcard(conn, "network", row["id"], project_id, rbac_policies.SHARED, row["shared"])
    rbac_policies.sync_wildcard(conn, "network", row["id"], project_id, rbac_policies.EXTERNAL, row["external"])
    if item.get("qos_policy_id"):
        qos.bind(conn, ctx, "network", row["id"], item["qos_policy_id"])
    elif "qos_policy_id" not in item and not row["external"] and (default := qos.default_policy(conn, project_id)):
        qos.bind(conn, ctx, "network", row["id"], default)        # qos-default: the project's default policy
    common.set_tags(conn, row["id"], item.get("tags") or [])
    if project_id:
        security_groups.ensure_default(conn, project_id)
    return row


def check_one_default(conn: Connection, network_id: str, values: dict[str, Any]) -> None:
    """One default external network at a time (neutron's auto_allocate db callback)."""
    if not values.get("is_default"):
        return
    other = conn.execute(sa.select(t.networks.c.id).where(
        t.networks.c.external.is_(True), t.networks.c.is_default.is_(True), t.networks.c.id != network_id)
        .limit(1)).scalar()
    if other is not None:
        raise Conflict(f"Default external network {other} already exists.", kind="DefaultExternalNetworkExists")


def check_mtu(mtu: int, largest: int) -> None:
    """ML2: no network MTU above what its segment type carries (1500 less the overlay header)."""
    if mtu > largest:
        raise BadRequest(f"Invalid input for operation: Requested MTU is too big, maximum is {largest}.",
                         kind="InvalidInput")


def check_subnet_mtu(conn: Connection, network_id: str, mtu: int, versions: set[int] | None = None) -> None:
    """An IPv4 subnet needs an MTU of 68, an IPv6 one 1280 (NetworkMTUSubnetConflict)."""
    if versions is None:
        versions = set(conn.execute(sa.select(t.subnets.c.ip_version).where(
            t.subnets.c.network_id == network_id)).scalars())
    for version, least in ((4, 68), (6, 1280)):
        if version in versions and mtu < least:
            raise Conflict(f"MTU of {network_id} is not compatible with subnet IP version; the minimum MTU is "
                           f"{least}.", kind="NetworkMTUSubnetConflict")


def update_network(conn: Connection, ctx: Context, row: dict[str, Any], item: dict[str, Any]) -> None:
    common.enforce_attrs(ctx, "update", "network", {k: v for k, v in item.items() if v != _current(row, k)},
                         target_of(row), {})
    values = validate(item)
    check_one_default(conn, row["id"], values)
    if "description" in item:
        values["description"] = item["description"]
    if "mtu" in values:
        check_mtu(values["mtu"], DEFAULT_MTU.get(row["network_type"] or "", 1500))
        check_subnet_mtu(conn, row["id"], values["mtu"])
    if values.get("shared") is False and row["shared"]:
        foreign = conn.execute(sa.select(t.ports.c.id).where(
            t.ports.c.network_id == row["id"], t.ports.c.project_id != row["project_id"],
            t.ports.c.project_id != "").limit(1)).first()
        if foreign:
            raise Conflict(f"Unable to reconfigure sharing settings for network {row['id']}. Multiple tenants "
                           "are using it.", kind="InvalidSharedSetting")
    if "qos_policy_id" in item:
        qos.bind(conn, ctx, "network", row["id"], item["qos_policy_id"])
    common.touch(conn, t.networks, row["id"], **values)
    for col, action in (("shared", rbac_policies.SHARED), ("external", rbac_policies.EXTERNAL)):
        if col in values:
            rbac_policies.sync_wildcard(conn, "network", row["id"], row["project_id"], action, values[col])


def _current(row: dict[str, Any], attr: str) -> Any:
    return row.get(COLUMNS.get(attr, attr))


def delete_network(conn: Connection, row: dict[str, Any]) -> None:
    """Floating IPs of an external network go with it (neutron's L3 plugin does the same)."""
    for fip_port in conn.execute(sa.select(t.floating_ips.c.floating_port_id).where(
            t.floating_ips.c.floating_network_id == row["id"])).scalars().all():
        conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.port_id == fip_port))
        conn.execute(t.ports.delete().where(t.ports.c.id == fip_port))
    conn.execute(t.floating_ips.delete().where(t.floating_ips.c.floating_network_id == row["id"]))
    in_use = conn.execute(sa.select(t.ports.c.id).where(
        t.ports.c.network_id == row["id"], t.ports.c.device_owner.notin_(["network:dhcp", "network:distributed"]))
        .limit(1)).first()
    if in_use:
        raise Conflict(f"Unable to complete operation on network {row['id']}. There are one or more ports "
                       "still in use on the network.", kind="NetworkInUse")
    subnet_ids = conn.execute(sa.select(t.subnets.c.id).where(t.subnets.c.network_id == row["id"])).scalars().all()
    conn.execute(t.qos_bindings.delete().where(t.qos_bindings.c.resource_id.in_(
        sa.select(t.ports.c.id).where(t.ports.c.network_id == row["id"]))))
    qos.unbind(conn, row["id"])
    conn.execute(t.ports.delete().where(t.ports.c.network_id == row["id"]))
    conn.execute(t.subnets.delete().where(t.subnets.c.network_id == row["id"]))
    conn.execute(t.tags.delete().where(t.tags.c.resource_id.in_([row["id"], *subnet_ids])))
    rbac_policies.forget(conn, row["id"])
    conn.execute(t.network_segments.delete().where(t.network_segments.c.network_id == row["id"]))
    conn.execute(t.agent_bindings.delete().where(t.agent_bindings.c.resource_id == row["id"]))
    conn.execute(t.networks.delete().where(t.networks.c.id == row["id"]))


# --- routes --------------------------------------------------------------------------
def network_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, NETWORKS, ctx, rq.params["network_id"])
        external = bool(row["external"]) or conn.execute(sa.select(sa.literal(1)).where(rbac_policies.granted(
            "network", sa.literal(row["id"]), ctx.project_id, (rbac_policies.EXTERNAL,)))).first() is not None
        return {**target_of(row), "shared": shared_with(conn, row, ctx.project_id), "external": external}


def list_networks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(NETWORKS, ctx, rq)


def show_network(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(NETWORKS, ctx, rq, rq.params["network_id"])


def create_networks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = common.bodies(rq, "network", "networks", WRITABLE | {"segments"})
    with db.session() as conn:
        rows = [create_network(conn, ctx, item) for item in items]
        out = render_networks(conn, ctx, rows)
    common.notify_created(ctx, "network", out)
    return {"networks": out} if "networks" in rq.body else {"network": out[0]}


def put_network(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "network", UPDATABLE)
    with db.session() as conn:
        row = common.load(conn, NETWORKS, ctx, rq.params["network_id"])
        common.check_revision(rq, row)
        update_network(conn, ctx, row, item)
    return common.show_resource(NETWORKS, ctx, rq, row["id"])


def remove_network(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, NETWORKS, ctx, rq.params["network_id"])
        common.check_revision(rq, row)
        common.notify_deleted(conn, NETWORKS, ctx, row)
        delete_network(conn, row)


N = "/v2.0/networks"
ROUTES = [
    route("GET", N, list_networks, policy="get_network"),
    route("POST", N, create_networks, policy="create_network", target=common.create_target("network", "networks"),
          status=201),
    route("GET", N + "/{network_id}", show_network, policy="get_network", target=network_target),
    route("PUT", N + "/{network_id}", put_network, policy="update_network",
          target=common.body_first(network_target, "network", UPDATABLE)),
    route("DELETE", N + "/{network_id}", remove_network, policy="delete_network", target=network_target,
          status=204),
]
