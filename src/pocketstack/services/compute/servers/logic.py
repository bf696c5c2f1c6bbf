"""Server rules: create (validation, quota, rows, the build job), list filters, update, delete."""

from __future__ import annotations

import base64
import json
import ipaddress
import binascii
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, hosts, internal_client, jobs, service_auth
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.services.compute import common, flavors, quotas, server_groups
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import image_meta, network_api, personality, volume_api

BUILD = "compute.build_server"
DELETE = "compute.delete_server"


def _image(ctx: Context, image_ref: str) -> dict[str, Any]:
    image_id = image_ref.rstrip("/").rsplit("/", 1)[-1]
    r = internal_client.call("GET", f"/image/v2/images/{image_id}", token=ctx.token)
    if r.status_code != 200:
        raise BadRequest(f"Image {image_id} could not be found.")
    image = r.json()
    if image["status"] != "active":
        raise BadRequest(f"Image {image_id} is not active.")
    return image


def _boot_image(ctx: Context, body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    image_ref = body.get("imageRef") or ""
    if not image_ref and any(b["boot_index"] == 0 for b in volume_bdms(ctx, body)):
        return "", None
    if not image_ref:
        raise BadRequest("Missing imageRef attribute")
    image = _image(ctx, image_ref)
    if any(_boot_index(b) == 0 for b in image_bdms(image)):
        # quirk: nova keeps the image's id on such a server; here an empty image_id is what tells the
        # drivers that the root disk is a volume (made from the image's snapshot)
        return "", image
    return image["id"], image


def image_bdms(image: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The block device mapping an image defines (nova's _get_image_defined_bdms, bdm_v2 form): what
    createImage of a volume-backed server leaves, a snapshot of each of its volumes."""
    raw = (image or {}).get("block_device_mapping")
    if not raw or str(image.get("bdm_v2", "")).lower() != "true":   # type: ignore[union-attr]
        return []
    try:
        mapping = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [b for b in mapping if isinstance(b, dict) and b.get("destination_type") == "volume"]


def volume_bdms(ctx: Context, body: dict[str, Any],
                image: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The volumes block_device_mapping_v2 (merged with the image's own mapping) asks for, checked as
    nova's API checks them (400s)."""
    requested = list(body.get("block_device_mapping_v2") or [])
    if not any(_boot_index(b) == 0 for b in requested):      # nova's _merge_bdms_lists: the user's win
        names = {b.get("device_name") for b in requested if b.get("device_name")}
        requested = [b for b in image_bdms(image) if b.get("device_name") not in names] + requested
    out = []
    for bdm in requested:
        if bdm.get("destination_type", "volume" if bdm.get("source_type") == "volume" else "local") != "volume":
            continue
        source, boot_index = bdm.get("source_type"), _boot_index(bdm)
        dot = common.to_bool(bdm.get("delete_on_termination", False), "dot")
        common_fields = {"boot_index": boot_index, "tag": bdm.get("tag"), "delete_on_termination": dot}
        if source == "image":
            out.append({"source": "image", "uuid": bdm.get("uuid"), "size": _image_volume_size(ctx, bdm),
                        **common_fields})
        elif source == "volume":
            out.append({"source": "volume", "uuid": _usable_volume(ctx, body, bdm, boot_index),
                        **common_fields})
        elif source == "snapshot":
            snap_id = bdm.get("snapshot_id") or bdm.get("uuid") or ""
            snap = volume_api.get_snapshot(ctx.token, ctx.project_id or "", snap_id)
            if snap is None:
                raise BadRequest(f"Block Device Mapping is Invalid: failed to get snapshot {snap_id}.")
            out.append({"source": "snapshot", "uuid": snap["id"],
                        "size": int(bdm.get("volume_size") or snap["size"]),
                        "volume_type": bdm.get("volume_type"), **common_fields})
        elif source == "blank":
            if not bdm.get("volume_size"):
                raise BadRequest("Block Device Mapping is Invalid: You specified more local devices than the "
                                 "limit allows")
            out.append({"source": "blank", "uuid": None, "size": int(bdm["volume_size"]),
                        "volume_type": bdm.get("volume_type"), **common_fields})
        else:
            raise BadRequest(f"Block Device Mapping is Invalid: source type {source} is not supported here.")
    return out


def _boot_index(bdm: dict[str, Any]) -> int | None:
    boot = bdm.get("boot_index")
    return int(boot) if boot not in (None, "", "none") else None


def _image_volume_size(ctx: Context, bdm: dict[str, Any]) -> int:
    size = bdm.get("volume_size")
    if not size:
        raise BadRequest("Block Device Mapping is Invalid: Images with destination_type 'volume' need "
                         "to have a non-zero size specified")
    _image(ctx, bdm.get("uuid") or "")
    return int(size)


def _usable_volume(ctx: Context, body: dict[str, Any], bdm: dict[str, Any], boot_index: int | None) -> str:
    volume = volume_api.get(ctx.token, ctx.project_id or "", bdm.get("uuid") or "")
    if volume is None:
        raise BadRequest(f"Block Device Mapping is Invalid: failed to get volume {bdm.get('uuid')}.")
    # nova reads the boot volume's bootable flag only when no imageRef names the image
    # (compute.api: get_bdm_image_metadata); with one, any volume may be the root disk
    if boot_index == 0 and not body.get("imageRef") and str(volume.get("bootable")).lower() != "true":
        raise BadRequest(f"Block Device Mapping is Invalid: Volume {volume['id']} is not bootable.")
    if volume.get("multiattach"):
        volume_api.check_multiattach(ctx)
    elif volume["status"] != "available":
        raise BadRequest(f"Invalid volume: volume '{volume['id']}' status must be 'available'. Currently "
                         f"in '{volume['status']}'")
    return str(volume["id"])


def _check_image_fits(image: dict[str, Any], flavor: dict[str, Any]) -> None:
    if flavor["disk"] and (image.get("size") or 0) > flavor["disk"] * 1024 ** 3:
        raise BadRequest(f"Flavor's disk is too small for requested image. Flavor disk is "
                         f"{flavor['disk'] * 1024 ** 3} bytes, image is {image['size']} bytes.")
    if image.get("min_ram") and flavor["ram"] < image["min_ram"]:
        raise BadRequest("Flavor's memory is too small for requested image.")
    if image.get("min_disk") and flavor["disk"] and flavor["disk"] < image["min_disk"]:
        raise BadRequest("Flavor's disk is too small for requested image.")


def _hostname(name: str) -> str:
    """nova's utils.sanitize_hostname."""
    text = re.sub(r"[ _]", "-", name.lower())
    text = re.sub(r"[^\w.-]+", "", text, flags=re.ASCII).strip(".-")[:63]
    return text or "server"


FQDN_HOSTNAME = v.V("2.94", "hostname may be an FQDN of up to 255 characters")


def check_hostname(ctx: Context, hostname: str | None) -> None:
    if hostname is None:
        return
    if ctx.version < FQDN_HOSTNAME and (len(hostname) > 63 or "." in hostname):
        raise BadRequest(f"Invalid input for field/attribute hostname. Value: {hostname}.")


def access_ip(value: str | None) -> str:
    """nova stores access IPs normalized (netaddr): '::babe:dc0c:1602', not the spelling sent."""
    return str(ipaddress.ip_address(value)) if value else ""


def _validate_body(ctx: Context, body: dict[str, Any]) -> None:
    check_hostname(ctx, body.get("hostname"))
    if ctx.version >= v.AUTO_NETWORKS and "networks" not in body:
        raise BadRequest("Invalid input for field/attribute server. 'networks' is a required property")
    if ctx.version < v.AUTO_NETWORKS and isinstance(body.get("networks"), str):
        raise BadRequest("Invalid input for field/attribute networks. Value: %s." % body["networks"])
    gated = (("description", v.SERVER_DESCRIPTION), ("tags", v.TAGS_ON_CREATE), ("hostname", v.HOSTNAME),
             ("trusted_image_certificates", v.TRUSTED_CERTS))
    for key, since in gated:
        if key in body and ctx.version < since:
            raise BadRequest(f"Invalid input for field/attribute server. Additional properties are not allowed "
                             f"('{key}' was unexpected)")
    personality.check_version(ctx, "server", body)
    if body.get("user_data"):
        try:
            base64.b64decode(body["user_data"], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("Invalid input for field/attribute user_data. Value: not base64") from None
    if body.get("availability_zone") is not None:
        if ":" in body["availability_zone"]:     # "zone:host": forcing a host is an admin's (nova's rule)
            common.enforce(ctx, "os_compute_api:servers:create:forced_host",
                           {"project_id": ctx.project_id, "user_id": ctx.user_id})
        with db.reader() as conn:
            if body["availability_zone"].split(":", 1)[0] not in common.zones(conn):
                raise BadRequest("The requested availability zone is not available")
    meta = body.get("metadata") or {}
    if len(meta) > 128:
        raise Forbidden("Quota exceeded for metadata_items: Requested 129, but already used 0 of 128 "
                        "metadata_items")


def _counts(body: dict[str, Any]) -> tuple[int, int]:
    lo, hi = int(body.get("min_count", 1)), int(body.get("max_count", body.get("min_count", 1)))
    if lo > hi:
        raise BadRequest("min_count must be <= max_count")
    return lo, hi


def create_servers(ctx: Context, body: dict[str, Any], hints: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Check everything the API checks, then write the rows and enqueue one build per server."""
    _validate_body(ctx, body)
    lo, hi = _counts(body)
    image_id, image = _boot_image(ctx, body)
    bdms = volume_bdms(ctx, body, image)
    if bdms and hi > 1:
        raise BadRequest("Cannot attach one or more volumes to multiple instances")
    requested = network_api.validate_requested(ctx.token, ctx.project_id or "", body.get("networks"))
    if hi > 1 and any(r["port_id"] for r in requested):
        raise BadRequest("Multiple instances cannot be created with a port specified.")
    groups = list(dict.fromkeys(g["name"] for g in body.get("security_groups") or [])) or ["default"]
    if groups != ["default"] and requested:
        try:
            groups = network_api.security_group_names(ctx.token, ctx.project_id or "", groups)
        except network_api.NetworkError as exc:
            raise BadRequest(str(exc)) from None
    with db.session() as conn:
        flavor = _flavor(conn, ctx, body["flavorRef"])
        if flavor["disabled"]:
            raise BadRequest(f"Flavor {flavor['id']} could not be found.")
        if image and not bdms:
            _check_image_fits(image, flavor)
        key = _keypair(conn, ctx, body.get("key_name"))
        group = _group(conn, ctx, hints.get("group"), hi)
        count = _fit_quota(conn, ctx, lo, hi, flavor)
        specs = flavors.specs_of(conn, [flavor["id"]])[flavor["id"]]
        reservation = "r-" + secrets.token_hex(4)
        extra = {"image_properties": image_meta.properties(image) if image_id else {},
                 "scheduler_hints": request_hints(hints),
                 "injected_files": personality.injected_files(conn, ctx, body)}
        rows = [_insert(conn, ctx, body, i, count, flavor, specs, image_id, key, reservation, requested, groups,
                        extra) for i in range(count)]
        if bdms:
            common.set_server(conn, rows[0]["id"], block_devices=bdms)
        for row in rows:
            if group:
                conn.execute(t.server_group_members.insert().values(group_id=group["id"], server_id=row["id"]))
            action_id = common.record_action(conn, ctx, row["id"], "create")
            jobs.enqueue(conn, BUILD, {"server_id": row["id"], "caller": service_auth.caller(ctx),
                                       "action_id": action_id}, max_attempts=3)
    return rows, reservation


def request_hints(hints: dict[str, Any]) -> dict[str, list[str]]:
    """The hints as nova's RequestSpec keeps them (a list of strings per hint) and shows them at 2.100."""
    return {k: [str(x) for x in val] if isinstance(val, list) else [str(val)] for k, val in hints.items()}


def _flavor(conn: Connection, ctx: Context, ref: Any) -> dict[str, Any]:
    try:
        return flavors.usable(conn, ctx, str(ref).rstrip("/").rsplit("/", 1)[-1])
    except NotFound as exc:
        raise BadRequest(exc.message) from None


def _keypair(conn: Connection, ctx: Context, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    row = conn.execute(sa.select(t.keypairs).where(t.keypairs.c.user_id == ctx.user_id,
                                                   t.keypairs.c.name == name)).mappings().first()
    if row is None:
        raise BadRequest("Invalid key_name provided.")
    return dict(row)


def _group(conn: Connection, ctx: Context, group_id: str | None, count: int) -> dict[str, Any] | None:
    if not group_id:
        return None
    try:
        group = server_groups.load(conn, ctx, group_id)
    except NotFound:
        raise BadRequest(f"Invalid server group {group_id}") from None
    members = server_groups.members_of(conn, [group["id"]])[group["id"]]
    limit = quotas.limit_for(conn, ctx.project_id or "", "server_group_members")
    if len(members) + count > limit:
        raise Forbidden("Quota exceeded, too many servers in group")
    return group


def _fit_quota(conn: Connection, ctx: Context, lo: int, hi: int, flavor: dict[str, Any]) -> int:
    """nova builds as many as fit between min_count and max_count."""
    for count in range(hi, lo - 1, -1):
        try:
            quotas.check_servers(conn, ctx.project_id or "", count, flavor["vcpus"], flavor["ram"])
            return count
        except Forbidden:
            if count == lo:
                raise
    return lo


def _insert(conn: Connection, ctx: Context, body: dict[str, Any], index: int, count: int, flavor: dict[str, Any],
            specs: dict[str, str], image_id: str, key: dict[str, Any] | None, reservation: str,
            requested: list[dict[str, Any]], groups: list[str], extra: dict[str, Any]) -> dict[str, Any]:
    server_id, now = new_uuid(), utcnow()
    name = body["name"] if count == 1 else f"{body['name']}-{index + 1}"
    hostname = body.get("hostname") or _hostname(name)
    row = {"id": server_id, "name": name, "project_id": ctx.project_id, "user_id": ctx.user_id,
           "image_id": image_id, "flavor_id": flavor["id"], "flavor": {**flavors.embedded_flavor(flavor, specs)},
           "key_name": key["name"] if key else None, "key_data": key["public_key"] if key else None,
           "user_data": body.get("user_data"), "description": body.get("description"), "hostname": hostname,
           "availability_zone": (body.get("availability_zone") or common.DEFAULT_AZ).split(":", 1)[0],
           "requested_az": body.get("availability_zone"),
           "vm_state": "building", "task_state": "scheduling", "power_state": common.NOSTATE, "progress": 0,
           "locked": False, "host": None, "instance_name": "instance-" + server_id[:8],
           "reservation_id": reservation, "launch_index": index,
           "config_drive": "True" if common.to_bool(body.get("config_drive", False), "config_drive") else "",
           "access_ipv4": access_ip(body.get("accessIPv4")), "access_ipv6": access_ip(body.get("accessIPv6")),
           "security_groups": groups, "networks": requested, "disk_config": body.get("OS-DCF:diskConfig", "MANUAL"),
           "trusted_certs": body.get("trusted_image_certificates"), "deleted": False, "created_at": now,
           "updated_at": now, "fault": None, "locked_reason": None, "locked_by": None, "launched_at": None,
           "terminated_at": None, "old_flavor": None, "block_devices": None, **extra}
    conn.execute(t.servers.insert().values(**row))
    for k, val in (body.get("metadata") or {}).items():
        conn.execute(t.server_metadata.insert().values(server_id=server_id, key=k, value=val))
    for tag in dict.fromkeys(body.get("tags") or []):
        conn.execute(t.server_tags.insert().values(server_id=server_id, tag=tag))
    return row


def delete_server(ctx: Context, server_id: str, action: str = "delete") -> None:
    with db.session() as conn:
        row = common.load_server(conn, ctx, server_id)
        common.check_locked(ctx, row)
        if row["task_state"] == "deleting":
            return
        common.set_server(conn, server_id, task_state="deleting")
        action_id = common.record_action(conn, ctx, server_id, action)
        # on the host of the guest; a host that is down leaves it to any (nova's local delete in the API)
        host = row["host"] if hosts.host_up("nova-compute", row["host"]) else None
        jobs.enqueue(conn, DELETE, {"server_id": server_id, "caller": service_auth.caller(ctx),
                                    "action_id": action_id}, max_attempts=3, host=host)


def update_server(ctx: Context, server_id: str, body: dict[str, Any]) -> None:
    if "description" in body and ctx.version < v.SERVER_DESCRIPTION:
        raise BadRequest("Invalid input for field/attribute server. Additional properties are not allowed "
                         "('description' was unexpected)")
    if "hostname" in body and ctx.version < v.HOSTNAME:
        raise BadRequest("Invalid input for field/attribute server. Additional properties are not allowed "
                         "('hostname' was unexpected)")
    if "pinned_availability_zone" in body and ctx.version < v.PINNED_AZ_UPDATE:
        raise BadRequest("Invalid input for field/attribute server. Additional properties are not allowed "
                         "('pinned_availability_zone' was unexpected)")
    values = {k: body[k] for k in ("name", "description", "hostname") if k in body}
    if "OS-DCF:diskConfig" in body:
        values["disk_config"] = body["OS-DCF:diskConfig"]
    values.update({c: access_ip(body[k]) for k, c in (("accessIPv4", "access_ipv4"), ("accessIPv6", "access_ipv6"))
                   if k in body})
    check_hostname(ctx, body.get("hostname"))
    with db.session() as conn:
        row = common.load_server(conn, ctx, server_id)
        if "hostname" in values and row["vm_state"] != "building" and len(_ports(conn, server_id)) > 1:
            raise Conflict("Cannot update the hostname of an instance with more than one port.")
        if "pinned_availability_zone" in body:
            values["requested_az"] = _pin(row, body["pinned_availability_zone"])
        if values:
            common.set_server(conn, server_id, **values)


def _pin(row: dict[str, Any], requested: str | None) -> str | None:
    """2.104: null unpins; a zone pins, but only to the zone the server is in, and never over another pin."""
    current = row["requested_az"]
    if requested is None or requested == current:
        return requested
    if current is not None:
        raise Conflict("Cannot change pinned availability zone directly. Unpin first by setting "
                       "pinned_availability_zone to null.")
    zone = row["availability_zone"] or common.DEFAULT_AZ
    if requested != zone:
        raise Conflict(f"Server can only be pinned to its current availability zone '{zone}', but "
                       f"'{requested}' was requested.")
    return requested


def _ports(conn: Connection, server_id: str) -> list[Any]:
    return conn.execute(sa.select(t.server_ports.c.port_id).where(t.server_ports.c.server_id == server_id)).all()
