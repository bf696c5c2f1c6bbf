"""Generic volume groups (3.13+) and group snapshots (3.14+): /groups, /groups/detail, /groups/{id},
/groups/action (create-from-src), /groups/{id}/action (delete, reset_status, replication), and
/group_snapshots (api-ref: block-storage v3, Generic volume groups; Group snapshots). Creating and
deleting a group, its snapshots and a group from a source are durable jobs of the volume manager."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.datastructures import QueryParams

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common, manager, snapshots, volume_types, volumes
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage.common import routes, target_loader
from pocketstack.services.block_storage.tables import group_snapshots, group_types, groups
from pocketstack.services.block_storage.tables import snapshots as snapshot_rows
from pocketstack.services.block_storage.tables import volumes as volume_rows

GROUP_STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating", "in-use", "error_deleting")
SNAPSHOT_STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating", "error_deleting")
VALID_ADD = ("available", "in-use")
VALID_REMOVE = ("available", "in-use", "error", "error_deleting")
TEXT = {"type": ["string", "null"], "maxLength": 255}
UUID = {"type": "string", "minLength": 1, "maxLength": 36}
# --- schemas (cinder/api/schemas/groups.py, group_snapshots.py) ------------------------------
CREATE = {"type": "object", "required": ["group"], "additionalProperties": False, "properties": {
    "group": {"type": "object", "required": ["group_type", "volume_types"], "additionalProperties": False,
              "properties": {
                  "name": TEXT, "description": TEXT, "group_type": {"type": "string", "maxLength": 255},
                  "volume_types": {"type": "array", "minItems": 1, "uniqueItems": True,
                                   "items": {"type": "string", "maxLength": 255}},
                  "availability_zone": TEXT}}}}
FROM_SOURCE = {"type": "object", "required": ["create-from-src"], "additionalProperties": False, "properties": {
    "create-from-src": {"type": "object", "additionalProperties": False,
                        "oneOf": [{"required": ["group_snapshot_id"]}, {"required": ["source_group_id"]}],
                        "properties": {"name": TEXT, "description": TEXT, "source_group_id": UUID,
                                       "group_snapshot_id": UUID}}}}
UPDATE = {"type": "object", "required": ["group"], "additionalProperties": False, "properties": {
    "group": {"type": "object", "additionalProperties": False,
              "anyOf": [{"required": ["name"]}, {"required": ["description"]}, {"required": ["add_volumes"]},
                        {"required": ["remove_volumes"]}],
              "properties": {"name": TEXT, "description": TEXT, "add_volumes": TEXT, "remove_volumes": TEXT}}}}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}
SNAPSHOT_CREATE = {"type": "object", "required": ["group_snapshot"], "additionalProperties": False, "properties": {
    "group_snapshot": {"type": "object", "required": ["group_id"], "additionalProperties": False, "properties": {
        "name": TEXT, "description": TEXT, "group_id": UUID}}}}

LISTING = Listing(groups, {"id", "name", "status", "created_at", "updated_at", "project_id", "availability_zone"},
                  filters={"name": groups.c.name, "status": groups.c.status,
                           "availability_zone": groups.c.availability_zone, "group_type": groups.c.group_type_id},
                  default_sort=[("created_at", "desc")])
SNAPSHOT_LISTING = Listing(group_snapshots, {"id", "name", "status", "created_at", "updated_at", "project_id"},
                           filters={"name": group_snapshots.c.name, "status": group_snapshots.c.status,
                                    "group_id": group_snapshots.c.group_id},
                           default_sort=[("created_at", "desc")])


# --- views ---------------------------------------------------------------------------------
def render(conn: Connection, ctx: Context, rq: ApiRequest | None, row: Any) -> dict[str, Any]:
    body = {"id": row["id"], "status": row["status"], "availability_zone": row["availability_zone"],
            "created_at": common.ts(row["created_at"]), "name": row["name"], "description": row["description"],
            "group_type": row["group_type_id"], "volume_types": list(row["volume_type_ids"] or [])}
    if common.version_at_least(ctx, v.GROUP_SNAPSHOTS):
        body["group_snapshot_id"] = row["group_snapshot_id"]
        body["source_group_id"] = row["source_group_id"]
    if common.version_at_least(ctx, v.GROUP_VOLUME_LIST) and rq is not None and \
            common.bool_param(rq.query.get("list_volume", "false"), "list_volume"):
        body["volumes"] = list(conn.execute(sa.select(volume_rows.c.id).where(
            volume_rows.c.group_id == row["id"]).order_by(volume_rows.c.created_at)).scalars())
    if common.version_at_least(ctx, v.GROUP_REPLICATION):
        body["replication_status"] = row["replication_status"]
    if common.version_at_least(ctx, v.GROUP_PROJECT_ID) and \
            common.check(ctx, "group:group_project_attribute", {"project_id": row["project_id"]}):
        body["project_id"] = row["project_id"]
    return body


def render_snapshot(ctx: Context, row: Any) -> dict[str, Any]:
    body = {"id": row["id"], "group_id": row["group_id"], "group_type_id": row["group_type_id"],
            "status": row["status"], "created_at": common.ts(row["created_at"]), "name": row["name"],
            "description": row["description"]}
    if common.version_at_least(ctx, v.GROUP_PROJECT_ID) and \
            common.check(ctx, "group:group_snapshot_project_attribute", {"project_id": row["project_id"]}):
        body["project_id"] = row["project_id"]
    return body


# --- logic ---------------------------------------------------------------------------------
def load_group(conn: Connection, ctx: Context, group_id: str) -> dict[str, Any]:
    return common.load_row(conn, groups, ctx, group_id, "Group")


def load_group_snapshot(conn: Connection, ctx: Context, snapshot_id: str) -> dict[str, Any]:
    return common.load_row(conn, group_snapshots, ctx, snapshot_id, "GroupSnapshot")


def _stripped(text: str | None) -> str | None:
    """cinder strips a group's name and description (an empty result stays as given)."""
    return (text or "").strip() or text


def _group_type(conn: Connection, ref: str) -> dict[str, Any]:
    row = conn.execute(sa.select(group_types).where(group_types.c.id == ref)).mappings().first() or \
        conn.execute(sa.select(group_types).where(group_types.c.name == ref)).mappings().first()
    if row is None:
        raise NotFound(f"Group type {ref} could not be found.")
    return dict(row)


def _members(conn: Connection, group_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(volume_rows).where(volume_rows.c.group_id == group_id)
                                          .order_by(volume_rows.c.created_at)).mappings()]


def _insert_group(conn: Connection, ctx: Context, **values: Any) -> dict[str, Any]:
    common.check_quota(conn, ctx.project_id or "", {"groups": 1})
    row = dict(id=new_uuid(), project_id=ctx.project_id, user_id=ctx.user_id, status="creating",
               replication_status="disabled", group_snapshot_id=None, source_group_id=None, created_at=utcnow(),
               updated_at=None, **values)
    conn.execute(groups.insert().values(**row))
    return row


def check_new_member(conn: Connection, ctx: Context, group_id: str, volume_type_id: str) -> None:
    """A volume created into a group: the group must be visible and take the volume's type."""
    group = load_group(conn, ctx, group_id)
    if volume_type_id not in (group["volume_type_ids"] or []):
        raise BadRequest(f"Invalid input received: Invalid volume_type provided: {volume_type_id} (requested type "
                         f"must be supported by this group).")


def create_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["group"]
    az = body.get("availability_zone") or common.AZ
    if az != common.AZ:
        raise BadRequest(f"Invalid input received: Availability zone '{az}' is invalid.")
    with db.session() as conn:
        type_ids = [volume_types.find(conn, ctx, ref)["id"] for ref in body["volume_types"]]
        gtype = _group_type(conn, body["group_type"])
        row = _insert_group(conn, ctx, name=_stripped(body.get("name")),
                            description=_stripped(body.get("description")), group_type_id=gtype["id"],
                            volume_type_ids=type_ids, availability_zone=az)
        manager.enqueue(conn, "volume.group_create", group_id=row["id"], members=[])
    return {"group": {"id": row["id"], "name": row["name"]}}


def create_group_from_source(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["create-from-src"]
    with db.session() as conn:
        if body.get("group_snapshot_id"):
            gsnap = load_group_snapshot(conn, ctx, body["group_snapshot_id"])
            if gsnap["status"] != "available":
                raise BadRequest("Invalid Group: Group snapshot status must be available.")
            source_group = conn.execute(sa.select(groups).where(groups.c.id == gsnap["group_id"])).mappings().first()
            sources = [("snapshot", s) for s in conn.execute(sa.select(snapshot_rows).where(
                snapshot_rows.c.group_snapshot_id == gsnap["id"]).order_by(snapshot_rows.c.created_at)).mappings()]
            if not sources:
                raise BadRequest("Invalid Group: Group snapshot is empty. No group will be created.")
            origin = {"group_snapshot_id": gsnap["id"]}
            type_ids, gtype_id = (list(source_group["volume_type_ids"]) if source_group else []), gsnap["group_type_id"]
        else:
            source = load_group(conn, ctx, body["source_group_id"])
            if source["status"] != "available":
                raise BadRequest("Invalid Group: Source group status must be available.")
            sources = [("volume", vol) for vol in _members(conn, source["id"])]
            if not sources:
                raise BadRequest("Invalid Group: Source Group is empty. No group will be created.")
            origin = {"source_group_id": source["id"]}
            type_ids, gtype_id = list(source["volume_type_ids"]), source["group_type_id"]
        row = _insert_group(conn, ctx, name=body.get("name"), description=body.get("description"),
                            group_type_id=gtype_id, volume_type_ids=type_ids, availability_zone=common.AZ)
        conn.execute(groups.update().where(groups.c.id == row["id"]).values(**origin))
        members = []
        for kind, src in sources:
            vol = src if kind == "volume" else conn.execute(sa.select(volume_rows).where(
                volume_rows.c.id == src["volume_id"])).mappings().first()
            type_ref = vol["volume_type_id"] if vol else None
            new = volumes.create_row(conn, ctx, {"volume_type": type_ref, "name": src["name"]}, size=src["size"],
                                     source=kind, source_id=src["id"], group_id=row["id"])
            members.append({"volume_id": new["id"], "source": kind, "source_id": src["id"]})
        manager.enqueue(conn, "volume.group_create", group_id=row["id"], members=members)
    return {"group": {"id": row["id"], "name": row["name"]}}


def _list(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    q = common.parse_query(LISTING, rq)
    stmt = sa.select(groups).where(*common.project_scope(ctx, rq, groups.c.project_id))
    with db.reader() as conn:
        rows, _more, _count = common.list_page(conn, LISTING, stmt, q, rq, lambda m: common.not_found("Marker", m))
        items = [render(conn, ctx, rq, r) if detail else {"id": r["id"], "name": r["name"]} for r in rows]
    body: dict[str, Any] = {"groups": items}
    if links := common.collection_links(ctx, rq, rows, q):
        body["group_links"] = links
    return body


def list_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=False)


def list_groups_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list(ctx, rq, detail=True)


def show_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"group": render(conn, ctx, rq, load_group(conn, ctx, rq.params["group_id"]))}


def _id_list(raw: str | None) -> list[str]:
    return [x for x in (raw or "").strip(",").split(",") if x]


def update_group(ctx: Context, rq: ApiRequest) -> None:
    body = rq.body["group"]
    add, remove = _id_list(body.get("add_volumes")), _id_list(body.get("remove_volumes"))
    if both := [x for x in add if x in remove]:
        raise BadRequest(f"Invalid volume: UUIDs {both} are in both add and remove volume list.")
    with db.session() as conn:
        group = load_group(conn, ctx, rq.params["group_id"])
        name = body.get("name") if "name" in body and body.get("name") != group["name"] else None
        description = body.get("description") if body.get("description") != group["description"] else None
        members = {m["id"]: m for m in _members(conn, group["id"])}
        to_add = [_addable(conn, group, vol_id) for vol_id in add if vol_id not in members]
        for vol_id in remove:
            if vol_id not in members:
                raise BadRequest(f"Invalid volume: Cannot remove volume {vol_id} from group {group['id']} because "
                                 f"it is not in the group.")
            if members[vol_id]["status"] not in VALID_REMOVE:
                raise BadRequest(f"Invalid volume: Cannot remove volume {vol_id} from group {group['id']} because "
                                 f"volume is in an invalid state: {members[vol_id]['status']}. Valid states are: "
                                 f"{VALID_REMOVE}.")
        if name is None and description is None and not to_add and not remove:
            raise BadRequest(f"Invalid Group: Cannot update group {group['id']} because no valid name, description, "
                             f"add_volumes, or remove_volumes were provided.")
        if (to_add or remove) and group["status"] != "available":
            raise BadRequest("Invalid Group: Group status must be available.")
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = name
        if description is not None:
            values["description"] = description
        conn.execute(groups.update().where(groups.c.id == group["id"]).values(**values))
        if to_add:
            conn.execute(volume_rows.update().where(volume_rows.c.id.in_(to_add)).values(group_id=group["id"]))
        if remove:
            conn.execute(volume_rows.update().where(volume_rows.c.id.in_(remove)).values(group_id=None))


def _addable(conn: Connection, group: dict[str, Any], vol_id: str) -> str:
    vol = conn.execute(sa.select(volume_rows).where(volume_rows.c.id == vol_id)).mappings().first()
    prefix = f"Invalid volume: Cannot add volume {vol_id} to group {group['id']}"
    if vol is None:
        raise BadRequest(f"{prefix} because volume cannot be found.")
    if vol["group_id"]:
        raise BadRequest(f"{prefix} because it is already in group {vol['group_id']}.")
    if vol["project_id"] != group["project_id"]:
        raise BadRequest(f"{prefix} as they belong to different projects.")
    if vol["volume_type_id"] not in (group["volume_type_ids"] or []):
        raise BadRequest(f"{prefix} because volume type {vol['volume_type_id']} is not supported by the group.")
    if vol["status"] not in VALID_ADD:
        raise BadRequest(f"{prefix} because volume is in an invalid state: {vol['status']}. Valid states are: "
                         f"{VALID_ADD}.")
    return vol_id


def _delete_group(conn: Connection, ctx: Context, group: dict[str, Any], args: Any) -> None:
    args = args if isinstance(args, dict) else {}
    if set(args) - {"delete-volumes"}:
        raise BadRequest("Invalid input for field/attribute delete. Additional properties are not allowed.")
    delete_volumes = common.bool_param(args.get("delete-volumes", False), "delete-volumes")
    if not delete_volumes and group["status"] not in ("available", "error"):
        raise BadRequest(f"Invalid Group: Group status must be available or error, but current status is: "
                         f"{group['status']}")
    if conn.execute(sa.select(group_snapshots.c.id).where(group_snapshots.c.group_id == group["id"])).first():
        raise BadRequest("Invalid Group: Group has existing snapshots.")
    members = _members(conn, group["id"])
    if members and not delete_volumes:
        raise BadRequest(f"Invalid Group: Group {group['id']} still contains volumes. The delete-volumes flag is "
                         f"required to delete it.")
    for vol in members:
        if vol["attach_status"] == "attached":
            raise BadRequest(f"Invalid Group: Volume in group {group['id']} is attached. Need to detach first.")
        if conn.execute(sa.select(snapshot_rows.c.id).where(snapshot_rows.c.volume_id == vol["id"])).first():
            raise BadRequest("Invalid Group: Volume in group still has dependent snapshots.")
    if conn.execute(sa.select(groups.c.id).where(groups.c.status == "creating", sa.or_(
            groups.c.source_group_id == group["id"]))).first():
        raise BadRequest(f"Invalid Group: Cannot delete group {group['id']}. It is the source for an ongoing group "
                         f"creation.")
    conn.execute(groups.update().where(groups.c.id == group["id"]).values(status="deleting", updated_at=utcnow()))
    if members:
        conn.execute(volume_rows.update().where(volume_rows.c.group_id == group["id"]).values(status="deleting"))
    manager.enqueue(conn, "volume.group_delete", group_id=group["id"])


def group_action(ctx: Context, rq: ApiRequest) -> None:
    (name, args), = rq.body.items()
    with db.session() as conn:
        group = load_group(conn, ctx, rq.params["group_id"])
        target = {"project_id": group["project_id"], "id": group["id"]}
        if name == "delete":
            common.enforce(ctx, "group:delete", target)
            _delete_group(conn, ctx, group, args)
        elif name == "reset_status" and common.version_at_least(ctx, v.GROUP_VOLUME_RESET_STATUS):
            common.enforce(ctx, "group:reset_status", target)
            status = (args.get("status") if isinstance(args, dict) else None) or ""
            if status.lower() not in GROUP_STATUSES:
                raise BadRequest(f"Invalid input received: Group status: {status} is invalid, valid statuses are: "
                                 f"{GROUP_STATUSES}.")
            conn.execute(groups.update().where(groups.c.id == group["id"]).values(status=status.lower(),
                                                                                  updated_at=utcnow()))
        elif name in ("enable_replication", "disable_replication", "failover_replication") and \
                common.version_at_least(ctx, v.GROUP_REPLICATION):
            common.enforce(ctx, f"group:{name}", target)
            raise BadRequest(f"Invalid group type: Group {group['id']} is not a replication group type.")
        elif name == "list_replication_targets" and common.version_at_least(ctx, v.GROUP_REPLICATION):
            common.enforce(ctx, "group:list_replication_targets", target)
            return {"replication_targets": []}  # type: ignore[return-value]
        else:
            raise BadRequest(f"There is no such action: {name}")
    return None


# --- group snapshots ------------------------------------------------------------------------
def create_group_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["group_snapshot"]
    with db.session() as conn:
        group = load_group(conn, ctx, body["group_id"])
        if group["status"] != "available":
            raise BadRequest(f"Invalid Group: Group {group['id']} status must be available, but current status "
                             f"is: {group['status']}.")
        members = _members(conn, group["id"])
        for vol in members:
            if vol["status"] not in ("available", "in-use"):
                raise BadRequest(f"Invalid volume: Volume {vol['id']} status must be available or in-use, but "
                                 f"current status is: {vol['status']}.")
        row = dict(id=new_uuid(), project_id=ctx.project_id, user_id=ctx.user_id, status="creating",
                   name=body.get("name"), description=body.get("description"), group_id=group["id"],
                   group_type_id=group["group_type_id"], created_at=utcnow(), updated_at=None)
        conn.execute(group_snapshots.insert().values(**row))
        for vol in members:
            snapshots.create_row(conn, ctx, vol, {"name": row["name"], "description": row["description"]},
                                 group_snapshot_id=row["id"])
        manager.enqueue(conn, "volume.group_snapshot_create", group_snapshot_id=row["id"])
    return {"group_snapshot": {"id": row["id"], "name": row["name"], "group_type_id": row["group_type_id"]}}


def _list_snapshots(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    paged = common.version_at_least(ctx, v.GROUP_SNAPSHOT_PAGINATION)
    q = common.parse_query(SNAPSHOT_LISTING, rq) if paged else SNAPSHOT_LISTING.parse(QueryParams())
    stmt = sa.select(group_snapshots).where(*common.project_scope(ctx, rq, group_snapshots.c.project_id))
    with db.reader() as conn:
        rows, _more, _count = common.list_page(conn, SNAPSHOT_LISTING, stmt, q, rq,
                                               lambda m: common.not_found("Marker", m))
    items = [render_snapshot(ctx, r) if detail else {"id": r["id"], "name": r["name"]} for r in rows]
    body: dict[str, Any] = {"group_snapshots": items}
    if paged and (links := common.collection_links(ctx, rq, rows, q)):
        body["group_snapshot_links"] = links
    return body


def list_group_snapshots(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list_snapshots(ctx, rq, detail=False)


def list_group_snapshots_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return _list_snapshots(ctx, rq, detail=True)


def show_group_snapshot(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"group_snapshot": render_snapshot(ctx, load_group_snapshot(conn, ctx, rq.params["group_snapshot_id"]))}


def delete_group_snapshot(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load_group_snapshot(conn, ctx, rq.params["group_snapshot_id"])
        busy = conn.execute(sa.select(groups.c.id).where(groups.c.group_snapshot_id == row["id"],
                                                         groups.c.status == "creating")).first()
        if row["status"] not in ("available", "error") or busy:
            raise BadRequest("Invalid GroupSnapshot: GroupSnapshot status must be available or error, and no Group "
                             "can be currently using it as source for its creation.")
        conn.execute(group_snapshots.update().where(group_snapshots.c.id == row["id"]).values(
            status="deleting", updated_at=utcnow()))
        conn.execute(snapshot_rows.update().where(snapshot_rows.c.group_snapshot_id == row["id"]).values(
            status="deleting"))
        manager.enqueue(conn, "volume.group_snapshot_delete", group_snapshot_id=row["id"])


def group_snapshot_action(ctx: Context, rq: ApiRequest) -> None:
    (name, args), = rq.body.items()
    if name != "reset_status" or not common.version_at_least(ctx, v.GROUP_SNAPSHOT_RESET_STATUS):
        raise BadRequest(f"There is no such action: {name}")
    with db.session() as conn:
        row = load_group_snapshot(conn, ctx, rq.params["group_snapshot_id"])
        common.enforce(ctx, "group:reset_group_snapshot_status", {"project_id": row["project_id"], "id": row["id"]})
        status = (args.get("status") if isinstance(args, dict) else None) or ""
        if status.lower() not in SNAPSHOT_STATUSES:
            raise BadRequest(f"Invalid input received: Group snapshot status: {status} is invalid, valid statuses "
                             f"are: {SNAPSHOT_STATUSES}.")
        conn.execute(group_snapshots.update().where(group_snapshots.c.id == row["id"]).values(
            status=status.lower(), updated_at=utcnow()))


GROUP = "/groups/{group_id}"
GSNAP = "/group_snapshots/{group_snapshot_id}"
group_target = target_loader("volume_groups", "group_id", "Group")
group_snapshot_target = target_loader("volume_group_snapshots", "group_snapshot_id", "GroupSnapshot")
# checked in the handlers, after the group is loaded (an invisible group is a 404, as in cinder)
GROUP_ACTION_RULES = in_handler("group:delete", "group:reset_status", "group:enable_replication",
                                "group:disable_replication", "group:failover_replication",
                                "group:list_replication_targets")
GSNAP_ACTION_RULES = in_handler("group:reset_group_snapshot_status")
G13, G14 = {"min_version": v.GROUP_VOLUME}, {"min_version": v.GROUP_SNAPSHOTS}
ROUTES = [
    *routes("POST", "/groups", create_group, policy="group:create", body=CREATE, status=202, **G13),
    *routes("GET", "/groups", list_groups, policy="group:get_all", **G13),
    *routes("GET", "/groups/detail", list_groups_detail, policy="group:get_all", **G13),
    *routes("POST", "/groups/action", create_group_from_source, policy="group:create", body=FROM_SOURCE,
            status=202, **G14),
    *routes("GET", GROUP, show_group, policy="group:get", target=group_target, **G13),
    *routes("PUT", GROUP, update_group, policy="group:update", target=group_target, body=UPDATE, status=202, **G13),
    *routes("POST", GROUP + "/action", group_action, policy=GROUP_ACTION_RULES, body=ACTION, status=202, **G13),
    *routes("POST", "/group_snapshots", create_group_snapshot, policy="group:create_group_snapshot",
            body=SNAPSHOT_CREATE, status=202, **G14),
    *routes("GET", "/group_snapshots", list_group_snapshots, policy="group:get_all_group_snapshots", **G14),
    *routes("GET", "/group_snapshots/detail", list_group_snapshots_detail, policy="group:get_all_group_snapshots",
            **G14),
    *routes("GET", GSNAP, show_group_snapshot, policy="group:get_group_snapshot", target=group_snapshot_target,
            **G14),
    *routes("DELETE", GSNAP, delete_group_snapshot, policy="group:delete_group_snapshot",
            target=group_snapshot_target, status=202, **G14),
    *routes("POST", GSNAP + "/action", group_snapshot_action, policy=GSNAP_ACTION_RULES, body=ACTION, status=202,
            **G14),
    *common.before(v.GROUP_VOLUME, "/groups", "/groups/detail", GROUP, GROUP + "/action"),
    *common.before(v.GROUP_SNAPSHOTS, "/groups/action", "/group_snapshots", "/group_snapshots/detail", GSNAP,
                   GSNAP + "/action"),
]
