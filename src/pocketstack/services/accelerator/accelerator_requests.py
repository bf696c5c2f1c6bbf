"""Accelerator requests (ARQs): /v2/accelerator_requests (api-ref: accelerator, Accelerator Requests;
cyborg/api/controllers/v2/arqs.py, conductor/manager.py arq_apply_patch). Binding is a durable job: the
ARQ goes Initial -> BindStarted, and the job takes an attach handle of the deployable whose resource
provider was chosen (-> Bound), or finds none free (-> BindFailed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, jobs
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, InternalError, Locked, NotAcceptable, NotFound
from pocketstack.core.http import empty, json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.accelerator import common, device_profiles
from pocketstack.services.accelerator import versions as v
from pocketstack.services.accelerator.tables import arqs, attach_handles, deployables, devices

BIND_JOB = "accelerator.bind"
DELAY = {"value": 0.0}
RESOLVED = {"Bound": "completed", "BindFailed": "failed", "Deleting": "failed"}
FIELDS = ("uuid", "state", "device_profile_name", "device_profile_group_id", "hostname", "device_rp_uuid",
          "instance_uuid", "project_id")


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, handle: Any) -> dict[str, Any]:
    body = {f: row[f] for f in FIELDS}
    body.update(attach_handle_type=handle["attach_type"] if handle else None,
                attach_handle_uuid=handle["uuid"] if handle else None,
                attach_handle_info=handle["attach_info"] if handle else None,
                created_at=common.iso(row["created_at"]), updated_at=common.iso(row["updated_at"]),
                links=common.links(ctx, rq, "accelerator_requests", row["uuid"]))
    return body


def _render_rows(ctx: Context, rq: ApiRequest, conn: Any, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["attach_handle_id"] for r in rows if r["attach_handle_id"]]
    handles = {h["id"]: h for h in conn.execute(sa.select(attach_handles).where(
        attach_handles.c.id.in_(ids))).mappings()} if ids else {}
    return [render(ctx, rq, r, handles.get(r["attach_handle_id"])) for r in rows]


# --- logic -------------------------------------------------------------------
def _visible(ctx: Context, stmt: sa.Select) -> sa.Select:
    return stmt if ctx.is_admin or common.is_service(ctx) else stmt.where(arqs.c.project_id == ctx.project_id)


def _find(conn: Any, ctx: Context, ident: str) -> Any:
    row = conn.execute(_visible(ctx, sa.select(arqs).where(arqs.c.uuid == ident))).mappings().first() \
        if common.is_uuid(ident) else None
    if row is None:
        raise NotFound(f"Accelerator request not found with uuid={ident}")
    return row


def _release(conn: Any, row: Any) -> None:
    if row["attach_handle_id"]:
        conn.execute(attach_handles.update().where(attach_handles.c.id == row["attach_handle_id"]).values(
            in_use=False, updated_at=utcnow()))


def _validate_patch(ctx: Context, patch: Any) -> dict[str, Any]:
    if not isinstance(patch, list) or not patch or not all(isinstance(p, dict) for p in patch):
        raise BadRequest("Couldn't apply patch. Reason: a patch is a non-empty list of operations")
    ops = {p.get("op") for p in patch}
    if ops not in ({"add"}, {"remove"}):
        raise BadRequest("Couldn't apply patch. Reason: Every op must be add or remove")
    fields: dict[str, Any] = {"hostname": None, "device_rp_uuid": None, "instance_uuid": None}
    if ctx.version >= v.PROJECT_ID:
        fields["project_id"] = None
    for p in patch:
        path = str(p.get("path", "")).lstrip("/")
        if path == "project_id":
            if ctx.version < v.PROJECT_ID:
                raise NotAcceptable(f"Request not acceptable. The minimal required API version should be "
                                    f"{v.PROJECT_ID}")
            if not ctx.is_admin:
                raise Forbidden("Access was denied to the following resource: cyborg:arq:update",
                                rule="cyborg:arq:update")
        if path not in fields:
            raise BadRequest(f"Couldn't apply patch. Reason: Invalid path in patch {p.get('path')}")
        if p["op"] == "add":
            fields[path] = p.get("value")
    if "add" in ops:
        fields["project_id"] = fields.get("project_id") or ctx.project_id
        missing = [f for f, val in fields.items() if val is None and f != "project_id"]
        if missing:
            raise BadRequest(f"Couldn't apply patch. Reason: Fields absent in patch {','.join(missing)}")
    return fields


def _bind(conn: Any, row: Any, fields: dict[str, Any]) -> None:
    conn.execute(arqs.update().where(arqs.c.id == row["id"]).values(
        state="BindStarted", hostname=fields["hostname"], device_rp_uuid=fields["device_rp_uuid"],
        instance_uuid=fields["instance_uuid"], project_id=fields.get("project_id") or row["project_id"],
        updated_at=utcnow()))
    jobs.enqueue(conn, BIND_JOB, {"arq": row["uuid"]}, delay=DELAY["value"], max_attempts=3)


def _unbind(conn: Any, row: Any) -> None:
    _release(conn, row)
    conn.execute(arqs.update().where(arqs.c.id == row["id"]).values(
        state="Unbound", hostname=None, device_rp_uuid=None, instance_uuid=None, attach_handle_id=None,
        deployable_id=None, updated_at=utcnow()))


def run_bind(payload: dict[str, Any]) -> None:
    with db.session() as conn:
        row = conn.execute(sa.select(arqs).where(arqs.c.uuid == payload["arq"])).mappings().first()
        if row is None or row["state"] != "BindStarted":
            return
        candidates = conn.execute(
            sa.select(attach_handles).join(deployables, attach_handles.c.deployable_id == deployables.c.id)
            .join(devices, deployables.c.device_id == devices.c.id)
            .where(deployables.c.rp_uuid == row["device_rp_uuid"], devices.c.hostname == row["hostname"],
                   devices.c.status == "enabled", attach_handles.c.in_use.is_(False))
            .order_by(attach_handles.c.id)).mappings().all()
        # claim with a compare-and-set: two binds running at once (PostgreSQL) must not share a handle
        handle = next((h for h in candidates if conn.execute(
            attach_handles.update().where(attach_handles.c.id == h["id"], attach_handles.c.in_use.is_(False))
            .values(in_use=True, updated_at=utcnow())).rowcount == 1), None)
        if handle is None:
            conn.execute(arqs.update().where(arqs.c.id == row["id"]).values(state="BindFailed", updated_at=utcnow()))
            return
        conn.execute(arqs.update().where(arqs.c.id == row["id"]).values(
            state="Bound", attach_handle_id=handle["id"], deployable_id=handle["deployable_id"],
            updated_at=utcnow()))


def bind_failed(payload: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        conn.execute(arqs.update().where(arqs.c.uuid == payload["arq"], arqs.c.state == "BindStarted").values(
            state="BindFailed", updated_at=utcnow()))


def startup(settings: Any) -> None:
    DELAY["value"] = float(settings.option("accelerator.bind_delay", 0) or 0)
    jobs.register(BIND_JOB, run_bind, bind_failed)


# --- routes ------------------------------------------------------------------
def create_arqs(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body if isinstance(rq.body, dict) else {}
    name = body.get("device_profile_name")
    if name is None:
        raise InternalError("DeviceProfile name needed.")       # quirk: upstream's 500
    with db.session() as conn:
        profile = device_profiles.find(conn, ctx, str(name), by_name=True)
        created = []
        for group_id, group in enumerate(profile["groups"]):
            count = sum(int(val) for key, val in group.items() if key.startswith("resources"))
            for _ in range(count):
                uid = new_uuid()
                conn.execute(arqs.insert().values(
                    uuid=uid, state="Initial", device_profile_id=profile["id"], device_profile_name=profile["name"],
                    device_profile_group_id=group_id, project_id=ctx.project_id, created_at=utcnow()))
                created.append(uid)
        rows = conn.execute(sa.select(arqs).where(arqs.c.uuid.in_(created)).order_by(arqs.c.id)).mappings().all()
        return json_response(201, {"arqs": _render_rows(ctx, rq, conn, list(rows))})


def list_arqs(ctx: Context, rq: ApiRequest) -> Any:
    bind_state, instance = rq.query.get("bind_state"), rq.query.get("instance")
    if bind_state and bind_state != "resolved":
        raise BadRequest(f"Bad state: {bind_state} for ARQ: None. Expected state(s): ['resolved']")
    stmt = _visible(ctx, sa.select(arqs).order_by(arqs.c.id))
    with db.reader() as conn:
        if instance:
            rows = conn.execute(stmt.where(arqs.c.instance_uuid == instance)).mappings().all()
            if bind_state and any(r["state"] not in RESOLVED for r in rows):
                return empty(Locked.status)
        else:
            rows = conn.execute(stmt).mappings().all()
            if bind_state:
                rows = [r for r in rows if r["state"] in RESOLVED]
        return {"arqs": _render_rows(ctx, rq, conn, list(rows))}


def show_arq(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return _render_rows(ctx, rq, conn, [_find(conn, ctx, rq.params["uuid"])])[0]


def update_arqs(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body
    if not isinstance(body, dict) or not body:
        raise BadRequest("Couldn't apply patch. Reason: expected a map of ARQ UUIDs to patches")
    valid = {uid: _validate_patch(ctx, patch) for uid, patch in body.items()}
    adding = next(iter(body.values()))[0]["op"] == "add"
    if not common.is_service(ctx):
        raise Forbidden("This operation requires a service token. Use the Compute API to manage instance "
                        "accelerators.")
    with db.session() as conn:
        if adding:
            instances = {f["instance_uuid"] for f in valid.values()}
            if conn.execute(sa.select(arqs.c.id).where(arqs.c.instance_uuid.in_(instances))).first():
                raise BadRequest(f"Couldn't apply patch. Reason: Instance {', '.join(sorted(instances))} already "
                                 "has accelerator requests. Cannot bind additional ARQs.")
        for uid, fields in valid.items():
            row = _find(conn, ctx, uid)
            if adding:
                if row["state"] not in ("Initial", "Unbound"):
                    raise BadRequest(f"Bad state: {row['state']} for ARQ: {uid}. Expected state(s): "
                                     "['Initial', 'Unbound']")
                _bind(conn, row, fields)
            else:
                _unbind(conn, row)
    return empty(202)


def delete_arqs(ctx: Context, rq: ApiRequest) -> None:
    wanted, instance = rq.query.get("arqs"), rq.query.get("instance")
    if bool(wanted) == bool(instance):
        raise InternalError("Object action delete failed because: Provide either an ARQ uuid list or an "
                            "instance UUID")                   # quirk: ObjectActionError is a 500
    with db.session() as conn:
        if wanted:
            rows = [_find(conn, ctx, uid) for uid in wanted.split(",")]
            for row in rows:
                if row["instance_uuid"] and not common.is_service(ctx):
                    raise Forbidden(f"ARQ {row['uuid']} is bound to instance {row['instance_uuid']}. Use the "
                                    "Compute API to manage instance accelerators.")
        else:
            if not common.is_service(ctx):
                raise Forbidden("This operation requires a service token. Use the Compute API to manage "
                                "instance accelerators.")
            rows = list(conn.execute(_visible(ctx, sa.select(arqs).where(arqs.c.instance_uuid == instance)))
                        .mappings())
        for row in rows:
            _release(conn, row)
            conn.execute(arqs.delete().where(arqs.c.id == row["id"]))


T = common.target
AR = "/v2/accelerator_requests"
ROUTES = [
    route("GET", AR, list_arqs, policy="cyborg:arq:get_all", target=T),
    route("POST", AR, create_arqs, policy="cyborg:arq:create", target=T, status=201),
    route("PATCH", AR, update_arqs, policy="cyborg:arq:update", target=T, status=202),
    route("DELETE", AR, delete_arqs, policy="cyborg:arq:delete", target=T, status=204),
    route("GET", AR + "/{uuid}", show_arq, policy="cyborg:arq:get_one", target=T),
]
