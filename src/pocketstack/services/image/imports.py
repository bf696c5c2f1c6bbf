"""Interoperable image import: POST /v2/images/{id}/import, image tasks (api-ref: image, Interoperable
image import; Tasks). The import runs as a durable job; its progress is an image task row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from pocketstack.core import blobs, db, jobs
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, quotas, stores, web_download
from pocketstack.services.image import notifications as image_notifications
from pocketstack.services.image.tables import image_properties, image_tasks, images

JOB = "image.import"
TASK_JOB = "image.task"
TASK_TYPES = ("import", "api_image_import", "location_import")
TASK_TTL = dt.timedelta(hours=48)
# glance_download_properties.extra_properties: what glance-download copies from the source image
DOWNLOAD_PROPERTIES = ("hw_", "trait:", "os_distro", "os_secure_boot", "os_type")


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
def requested_stores(rq_headers: Any, body: dict[str, Any]) -> list[str]:
    """Glance's utils.get_stores_from_request: all_stores, the stores list or the header."""
    header = rq_headers.get("x-image-meta-store")
    if body.get("all_stores", False):
        if "stores" in body or header is not None:
            raise BadRequest("All_stores parameter can't be used with x-image-meta-store header or stores "
                             "parameter")
        wanted = stores.writable()
    elif "stores" in body:
        if header is not None:
            raise BadRequest("Stores parameter and x-image-meta-store header can't be both specified")
        wanted = body["stores"]
        if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
            raise BadRequest("'stores' must be a list of store identifiers")
    else:
        wanted = [header or stores.DEFAULT_STORE]
    for store in wanted:
        if store not in stores.STORE_IDS:
            raise Conflict(f"Unknown scheme '{store}' found in URI")
    return list(dict.fromkeys(wanted))


def check_method(body: Any) -> str:
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
    return str(name)


def remote_source(conn: sa.Connection, ctx: Context, method: dict[str, Any]) -> dict[str, Any]:
    """glance-download: the image to fetch, from the image endpoint of the region and interface asked
    for. This cloud has one image service, so a resolvable endpoint is this one; what cannot be
    fetched (no such endpoint, no such image, not active) fails the task later, as in Glance."""
    for key in ("glance_region", "glance_image_id"):
        if key not in method:
            raise BadRequest(f"'{key}' needs to be set for glance-download import method")
    try:
        uuid.UUID(str(method["glance_image_id"]))
    except ValueError:
        raise BadRequest(f"Remote image id does not look like a UUID: {method['glance_image_id']}") from None
    method.setdefault("glance_service_interface", "public")
    region, interface = method["glance_region"], method["glance_service_interface"]
    catalog = access.service_catalog(ctx)
    if not any(e.get("region_id", e.get("region")) == region and e.get("interface") == interface
               for s in catalog if s.get("type") == "image" for e in s.get("endpoints", [])):
        return {"error": f"Image service endpoint not found for region {region} and interface {interface}"}
    src_id = str(method["glance_image_id"])
    try:
        src = access.load(conn, ctx, src_id)
    except NotFound:
        return {"error": f"Remote image {src_id} could not be found"}
    if src["status"] != "active":
        return {"error": f"Source image status should be active instead of {src['status']}"}
    props = conn.execute(sa.select(image_properties).where(image_properties.c.image_id == src_id)).all()
    copied = {p.name: p.value for p in props if p.name.startswith(DOWNLOAD_PROPERTIES)}
    return {"image_id": src_id, "properties": copied, "disk_format": src["disk_format"],
            "container_format": src["container_format"]}


def start_import(conn: sa.Connection, ctx: Context, image_id: str, body: Any,
                 headers: Any = None) -> str | None:
    name = check_method(body)
    quotas.enforce(ctx, ctx.project_id, {quotas.SIZE_TOTAL: 0})
    image = access.load(conn, ctx, image_id)
    if image["status"] == "active" and name != "copy-image":
        raise Conflict("Image with status active cannot be target for import")
    if image["status"] != "active" and name == "copy-image":
        raise Conflict("Only images with status active can be targeted for copying")
    if image["status"] != "queued" and name in ("glance-download", "web-download"):
        raise Conflict(f"Image needs to be in 'queued' state to use '{name}' method")
    if image["status"] != "uploading" and name == "glance-direct":
        raise Conflict(f"Image needs to be staged before '{name}' method can be used")
    if not image["container_format"]:
        raise Conflict("'container_format' needs to be set before import")
    if not image["disk_format"]:
        raise Conflict("'disk_format' needs to be set before import")
    source = remote_source(conn, ctx, body["method"]) if name == "glance-download" else None
    if name == "web-download":
        web_download.check_uri(body["method"].get("uri"))
    target = access.target_of(conn, ctx, image)
    access.enforce(ctx, "copy_image" if name == "copy-image" else "modify_image", target)
    targets = requested_stores(headers or {}, body)
    if name == "copy-image":
        held = stores.split(image["stores"])
        if body.get("all_stores", False):
            targets = [t for t in targets if t not in held]
            if not targets:                  # already in every store: nothing to do
                _progress(conn, image_id, "", "")
                return None
        else:
            for t in targets:
                if t in held:
                    raise BadRequest(f"Image is already present at store '{t}'")
    else:
        conn.execute(images.update().where(images.c.id == image_id).values(status="importing", updated_at=utcnow()))
    task_id, now = new_uuid(), utcnow()
    conn.execute(image_tasks.insert().values(
        id=task_id, type="api_image_import", status="processing", owner=ctx.project_id, image_id=image_id,
        input={"image_id": image_id, "import_req": body, "backend": targets}, result=None, message="",
        request_id=ctx.request_id, user_id=ctx.user_id, created_at=now, updated_at=now))
    _progress(conn, image_id, ",".join(targets), "")
    jobs.enqueue(conn, JOB, {"image_id": image_id, "method": name, "task_id": task_id, "stores": targets,
                             "all_stores_must_succeed": body.get("all_stores_must_succeed", True),
                             "source": source, "uri": body["method"].get("uri")})
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


def _load(image_id: str) -> dict[str, Any] | None:
    with db.reader() as conn:
        row = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().first()
    return dict(row) if row else None


def _download_source(payload: dict[str, Any], source: dict[str, Any]) -> str | None:
    """The blob key of the glance-download source; None when the import failed (done here, at once)."""
    error = source.get("error")
    if error is None:
        src_image = _load(source["image_id"])
        key = stores.readable_key(source["image_id"], src_image["stores"]) if src_image else None
        if key is not None:
            return key
        error = f"Remote image {source['image_id']} could not be found"
    import_failed(payload, error)
    return None


def _take_metadata(conn: sa.Connection, image_id: str, source: dict[str, Any]) -> None:
    conn.execute(images.update().where(images.c.id == image_id).values(
        disk_format=source["disk_format"], container_format=source["container_format"]))
    for name, value in source["properties"].items():
        conn.execute(image_properties.delete().where(image_properties.c.image_id == image_id,
                                                     image_properties.c.name == name))
        conn.execute(image_properties.insert().values(image_id=image_id, name=name, value=value))


def run_import(payload: dict[str, Any]) -> None:
    """The job: copy the staged (glance-direct) or stored (copy-image) bytes into each target store,
    recording progress on the image as Glance does; then activate the image or add the stores."""
    image_id, task_id, method = payload["image_id"], payload["task_id"], payload["method"]
    targets = payload.get("stores") or [stores.DEFAULT_STORE]
    must_succeed = payload.get("all_stores_must_succeed", True)
    store = blobs.store()
    image = _load(image_id)
    if image is None or image["status"] != ("active" if method == "copy-image" else "importing"):
        with db.session() as conn:
            _finish_task(conn, task_id, "failure", "Image was deleted or changed during import")
        return
    source = payload.get("source") or {}
    if method == "glance-download":
        src = _download_source(payload, source)
        if src is None:
            return
    elif method == "web-download":
        error = web_download.fetch(payload["uri"], image_id)
        if error is not None:
            import_failed(payload, error)
            return
        src = stores.staging_key(image_id)
    elif method == "glance-direct":
        src = stores.staging_key(image_id)
    else:
        src = stores.readable_key(image_id, image["stores"])
    if src is None or not store.exists(src):
        raise RuntimeError(f"the data of image {image_id} to import is missing")
    done: list[str] = []
    failed: list[str] = []
    info = None
    for i, sid in enumerate(targets):
        try:
            info = store.write_bytes(stores.data_key(image_id, sid), store.read(src), stores.ALGORITHMS)
            done.append(sid)
        except OSError:
            failed.append(sid)
        with db.session() as conn:
            _progress(conn, image_id, ",".join(targets[i + 1:]), ",".join(failed))
        if failed and must_succeed:
            break
    vsize = None
    if method != "copy-image" and done and info is not None:
        try:
            vsize = stores.check_format(stores.data_key(image_id, done[0]),
                                        source.get("disk_format") or image["disk_format"],
                                        source.get("container_format") or image["container_format"], info.size)
        except BadRequest as err:
            for sid in done:
                store.delete(stores.data_key(image_id, sid))
            import_failed(payload, err.message)
            return
    if (failed and must_succeed) or not done:
        for sid in done:
            store.delete(stores.data_key(image_id, sid))
        raise RuntimeError(f"import of image {image_id} failed on stores {','.join(failed)}")
    with db.session() as conn:
        if method != "copy-image":
            assert info is not None
            values: dict[str, Any] = dict(
                status="active", size=info.size, checksum=info.digests["md5"], os_hash_algo=stores.HASH_ALGO,
                os_hash_value=info.digests[stores.HASH_ALGO], stores=stores.join(done),
                virtual_size=vsize)
            expect = "importing"
        else:
            values, expect = {"stores": stores.join(stores.split(image["stores"]) + done)}, "active"
        gone = conn.execute(images.update().where(images.c.id == image_id, images.c.status == expect)
                            .values(**values, updated_at=utcnow())).rowcount == 0
        _finish_task(conn, task_id, "failure" if gone else "success")
        if not gone:
            _progress(conn, image_id, "", ",".join(failed))
            if method == "glance-download":
                _take_metadata(conn, image_id, source)
    if gone:
        for sid in done:
            store.delete(stores.data_key(image_id, sid))
    elif method != "copy-image":
        image_notifications.send_loaded(None, image_id, "image.upload", "image.activate")
    if method in ("glance-direct", "web-download"):
        store.delete(src)


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
    targets = payload.get("stores") or [stores.DEFAULT_STORE]
    with db.session() as conn:
        conn.execute(images.update().where(images.c.id == payload["image_id"], images.c.status == "importing")
                     .values(status="queued", updated_at=utcnow()))
        _finish_task(conn, payload["task_id"], "failure", error[:1000])
        if conn.execute(sa.select(images.c.id).where(images.c.id == payload["image_id"])).first():
            _progress(conn, payload["image_id"], "", ",".join(targets))
    if payload["method"] in ("glance-direct", "web-download"):
        blobs.store().delete(stores.staging_key(payload["image_id"]))


# --- routes --------------------------------------------------------------------------
def import_image(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        start_import(conn, ctx, rq.params["image_id"], rq.body, rq.headers)


def delete_from_store(ctx: Context, rq: ApiRequest) -> None:
    """DELETE /v2/stores/{store_id}/{image_id}: drop one store's copy of an active image."""
    store_id, image_id = rq.params["store_id"], rq.params["image_id"]
    if store_id not in stores.STORE_IDS:
        raise Conflict(f"The selected store {store_id} is not available on this node.")
    with db.session() as conn:
        image = access.load(conn, ctx, image_id)
        access.enforce(ctx, "delete_image_location", access.target_of(conn, ctx, image))
        if image["status"] != "active":
            raise Conflict("It's not allowed to remove image data from store if image status is not 'active'")
        held = stores.split(image["stores"])
        if len(held) == 1:
            raise Forbidden("Cannot delete image data from the only store containing it. Consider deleting the "
                            "image instead.")
        if store_id not in held:
            raise NotFound(f"Image {image_id} is not stored in store {store_id}.")
        if why := blobs.store().in_use(stores.data_key(image_id, store_id)):       # glance_store's InUseByStore
            raise Conflict(f"The data for Image {image_id} could not be deleted because it is in use: {why}")
        conn.execute(images.update().where(images.c.id == image_id).values(
            stores=stores.join([h for h in held if h != store_id]), updated_at=utcnow()))
    blobs.store().delete(stores.data_key(image_id, store_id))


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


# checked in the handlers (a resource the caller may not see is concealed as 404)
IMPORT_IMAGE_RULES = in_handler("modify_image", "copy_image")
DELETE_FROM_STORE_RULES = in_handler("delete_image_location")
ROUTES = [
    route("POST", "/v2/images/{image_id}/import", import_image, policy=IMPORT_IMAGE_RULES, target=access.image_target,
          status=202),
    route("DELETE", "/v2/stores/{store_id}/{image_id}", delete_from_store, policy=DELETE_FROM_STORE_RULES, status=204),
    route("GET", "/v2/images/{image_id}/tasks", list_image_tasks, policy="get_image", target=access.image_target),
    route("GET", "/v2/tasks", list_tasks, policy="tasks_api_access"),
    route("POST", "/v2/tasks", create_task, policy="tasks_api_access", status=201),
    route("GET", "/v2/tasks/{task_id}", show_task, policy="tasks_api_access"),
]
