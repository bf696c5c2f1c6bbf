"""Interoperable image import: POST /v2/images/{id}/import, image tasks (api-ref: image, Interoperable
image import; Tasks). The import runs as a durable job; its progress is an image task row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from pocketstack.core import blobs, db, jobs
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, stores
from pocketstack.services.image.tables import image_properties, image_tasks, images

JOB = "image.import"
TASK_JOB = "image.task"
TASK_TYPES = ("import", "api_image_import", "location_import")
TASK_TTL = dt.timedelta(hours=48)


# --- views ---------------------------------------------------------------------------
def render_task(row: Any, *, detail: bool = True) -> dict[str, Any]:
    view = {"id": row["id"], "type": row["type"], "status": row["status"], "owner": row["owner"],
            "expires_at": isotime(row["expires_at"]), "created_at": isotime(row["created_at"]),
            "updated_at": isotime(row["updated_at"] or row["created_at"]), "self": f"/v2/tasks/{row['id']}",
            "schema": "/v2/schemas/task", "image_id": row["image_id"], "request_id": row["request_id"],
            "user_id": row["user_id"]}
    if detail:
        view.update(input=row["input"], result=row["result"], message=row["message"] or "")
    return view


# --- logic ---------------------------------------------------------------------------
def start_import(conn: sa.Connection, ctx: Context, image_id: str, body: Any) -> str:
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    method = body.get("method")
    if not isinstance(method, dict):
        raise BadRequest("Import request requires a 'method' field.")
    name = method.get("name")
    if name is None:
        raise BadRequest("Import request requires a 'name' field.")
    if name not in stores.IMPORT_METHODS:
        raise BadRequest(f"Unknown import method name '{name}'.")
    for flag in ("all_stores_must_succeed", "all_stores"):
        if not isinstance(body.get(flag, False), bool):
            raise BadRequest(f"'{flag}' must be boolean value only")
    for store in body.get("stores") or []:
        if store not in stores.STORE_IDS:
            raise Conflict(f"Store {store} is not available on this node.")
    image = access.load(conn, ctx, image_id)
    target = access.target_of(conn, ctx, image)
    if name == "copy-image":
        access.enforce(ctx, "copy_image", target)
        if image["status"] != "active":
            raise Conflict("Image status is not active, cannot copy it.")
    else:
        access.enforce(ctx, "modify_image", target)
        if image["status"] != "uploading":
            raise Conflict(f"Image needs to be staged before '{name}' method can be used")
        if image["disk_format"] is None or image["container_format"] is None:
            raise BadRequest("'disk_format' and 'container_format' need to be set before import")
        conn.execute(images.update().where(images.c.id == image_id).values(status="importing", updated_at=utcnow()))
    task_id, now = new_uuid(), utcnow()
    targets = body.get("stores") or [stores.DEFAULT_STORE]
    conn.execute(image_tasks.insert().values(
        id=task_id, type="api_image_import", status="processing", owner=ctx.project_id, image_id=image_id,
        input={"image_id": image_id, "import_req": body, "backend": targets}, result=None, message="",
        request_id=ctx.request_id, user_id=ctx.user_id, created_at=now, updated_at=now))
    _progress(conn, image_id, ",".join(targets), "")
    jobs.enqueue(conn, JOB, {"image_id": image_id, "method": name, "task_id": task_id})
    return task_id


def _progress(conn: sa.Connection, image_id: str, importing: str, failed: str) -> None:
    """Glance's import progress properties: stores still to do, and stores that failed."""
    for name, value in (("os_glance_importing_to_stores", importing), ("os_glance_failed_import", failed)):
        conn.execute(image_properties.delete().where(image_properties.c.image_id == image_id,
                                                     image_properties.c.name == name))
        conn.execute(image_properties.insert().values(image_id=image_id, name=name, value=value))


def _finish_task(conn: sa.Connection, task_id: str, status: str, message: str = "") -> None:
    conn.execute(image_tasks.update().where(image_tasks.c.id == task_id).values(
        status=status, message=message, result={"image_id": None} if status == "failure" else {},
        expires_at=utcnow() + TASK_TTL, updated_at=utcnow()))


def run_import(payload: dict[str, Any]) -> None:
    """The job: move the staged bytes into the store (idempotent), then activate the image."""
    image_id, task_id = payload["image_id"], payload["task_id"]
    store, src, dst = blobs.store(), stores.staging_key(image_id), stores.data_key(image_id)
    if payload["method"] == "glance-direct":
        with db.reader() as conn:
            image = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().first()
        if image is None or image["status"] != "importing":
            with db.session() as conn:
                _finish_task(conn, task_id, "failure", "Image was deleted or changed during import")
            return
        if store.exists(src):
            info = store.write_bytes(dst, store.read(src), stores.ALGORITHMS)
            with db.session() as conn:
                gone = conn.execute(images.update().where(images.c.id == image_id,
                                                          images.c.status == "importing").values(
                    status="active", size=info.size, checksum=info.digests["md5"], os_hash_algo=stores.HASH_ALGO,
                    os_hash_value=info.digests[stores.HASH_ALGO], stores=stores.DEFAULT_STORE,
                    virtual_size=stores.virtual_size(dst, image["disk_format"], info.size),
                    updated_at=utcnow())).rowcount == 0
                _finish_task(conn, task_id, "failure" if gone else "success")
                if not gone:
                    _progress(conn, image_id, "", "")
            if gone:
                store.delete(dst)
            store.delete(src)
            return
        raise RuntimeError(f"staged data for image {image_id} is missing")
    with db.session() as conn:
        _finish_task(conn, task_id, "success")
        if conn.execute(sa.select(images.c.id).where(images.c.id == image_id)).first():
            _progress(conn, image_id, "", "")


def create_task_row(conn: sa.Connection, ctx: Context, body: Any) -> dict[str, Any]:
    """POST /v2/tasks (the legacy `import` task): its import_from URL is fetched by the job."""
    if not isinstance(body, dict) or body.get("type") not in TASK_TYPES:
        raise BadRequest(f"Invalid type value: {body.get('type') if isinstance(body, dict) else None}")
    if not isinstance(body.get("input"), dict):
        raise BadRequest("Invalid input: 'input' must be an object.")
    task_id, now = new_uuid(), utcnow()
    row = {"id": task_id, "type": body["type"], "status": "pending", "owner": ctx.project_id, "image_id": None,
           "request_id": ctx.request_id, "user_id": ctx.user_id,
           "input": body["input"], "result": None, "message": "", "created_at": now, "updated_at": now,
           "expires_at": None}
    conn.execute(image_tasks.insert().values(**row))
    jobs.enqueue(conn, TASK_JOB, {"task_id": task_id})
    return row


def run_task(payload: dict[str, Any]) -> None:
    """This cloud has no outside network: a task that would download its data fails, saying why."""
    with db.session() as conn:
        row = conn.execute(sa.select(image_tasks).where(image_tasks.c.id == payload["task_id"])).mappings().first()
        if row is None or row["status"] != "pending":
            return
        source = (row["input"] or {}).get("import_from")
        _finish_task(conn, row["id"], "failure", f"Unable to import image data from {source}: this cloud "
                     "has no access to outside networks.")


def import_failed(payload: dict[str, Any], error: str) -> None:
    with db.session() as conn:
        conn.execute(images.update().where(images.c.id == payload["image_id"], images.c.status == "importing")
                     .values(status="queued", updated_at=utcnow()))
        _finish_task(conn, payload["task_id"], "failure", error[:1000])
        if conn.execute(sa.select(images.c.id).where(images.c.id == payload["image_id"])).first():
            _progress(conn, payload["image_id"], "", stores.DEFAULT_STORE)
    blobs.store().delete(stores.staging_key(payload["image_id"]))


# --- routes --------------------------------------------------------------------------
def import_image(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        start_import(conn, ctx, rq.params["image_id"], rq.body)


def list_image_tasks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        access.load(conn, ctx, rq.params["image_id"])
        rows = conn.execute(sa.select(image_tasks).where(image_tasks.c.image_id == rq.params["image_id"])
                            .order_by(image_tasks.c.created_at.desc())).mappings().all()
    return {"tasks": [render_task(r) for r in rows]}


def list_tasks(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        stmt = sa.select(image_tasks).order_by(image_tasks.c.created_at.desc())
        if not ctx.is_admin:
            stmt = stmt.where(image_tasks.c.owner == ctx.project_id)
        rows = conn.execute(stmt).mappings().all()
    return {"tasks": [render_task(r, detail=False) for r in rows], "first": "/v2/tasks",
            "schema": "/v2/schemas/tasks"}


def create_task(ctx: Context, rq: ApiRequest) -> Any:
    access.enforce(ctx, "add_task", {"project_id": ctx.project_id})
    with db.session() as conn:
        row = create_task_row(conn, ctx, rq.body)
    return json_response(201, render_task(row), {"Location": f"/v2/tasks/{row['id']}"})


def show_task(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(image_tasks).where(image_tasks.c.id == rq.params["task_id"])).mappings().first()
    if row is None or (not ctx.is_admin and row["owner"] != ctx.project_id):
        raise NotFound(f"Task with the given id {rq.params['task_id']} was not found")
    return render_task(row)


def startup(settings: Any) -> None:
    jobs.register(JOB, run_import, import_failed)
    jobs.register(TASK_JOB, run_task)


ROUTES = [
    route("POST", "/v2/images/{image_id}/import", import_image, policy=None, target=access.image_target,
          status=202),
    route("GET", "/v2/images/{image_id}/tasks", list_image_tasks, policy="get_image", target=access.image_target),
    route("GET", "/v2/tasks", list_tasks, policy="tasks_api_access"),
    route("POST", "/v2/tasks", create_task, policy="tasks_api_access", status=201),
    route("GET", "/v2/tasks/{task_id}", show_task, policy="tasks_api_access"),
]
