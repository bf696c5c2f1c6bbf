"""Images: /v2/images and /v2/images/{id} (api-ref: image, Images)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, notifications, schemas
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, MethodNotAllowed, NotFound, OverLimit
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, cache, image_list, locations, quotas, stores
from pocketstack.services.image import notifications as image_notifications
from pocketstack.services.image.tables import image_properties, image_tags, images

# --- schemas -------------------------------------------------------------------
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$")
STATUSES = ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete",
            "deactivated"]


def _p(type_: Any, description: str, **kw: Any) -> dict[str, Any]:
    return {"type": type_, "description": description, **kw}


BASE_PROPERTIES: dict[str, Any] = {
    "id": _p("string", "An identifier for the image", pattern=UUID_PATTERN),
    "name": _p(["null", "string"], "Descriptive name for the image", maxLength=255),
    "status": _p("string", "Status of the image", readOnly=True, enum=STATUSES),
    "visibility": _p("string", "Scope of image accessibility", enum=["community", "public", "private", "shared"]),
    "protected": _p("boolean", "If true, image will not be deletable."),
    "os_hidden": _p("boolean", "If true, image will not appear in default image list response."),
    "checksum": _p(["null", "string"], "md5 hash of image contents.", readOnly=True, maxLength=32),
    "os_hash_algo": _p(["null", "string"], "Algorithm to calculate the os_hash_value", readOnly=True,
                       maxLength=64),
    "os_hash_value": _p(["null", "string"], "Hexdigest of the image contents using the algorithm specified "
                        "by the os_hash_algo", readOnly=True, maxLength=128),
    "owner": _p(["null", "string"], "Owner of the image", maxLength=255),
    "size": _p(["null", "integer"], "Size of image file in bytes", readOnly=True),
    "virtual_size": _p(["null", "integer"], "Virtual size of image in bytes", readOnly=True),
    "container_format": _p(["null", "string"], "Format of the container", enum=[None, *CONTAINER_FORMATS]),
    "disk_format": _p(["null", "string"], "Format of the disk", enum=[None, *DISK_FORMATS]),
    "created_at": _p("string", "Date and time of image registration", readOnly=True),
    "updated_at": _p("string", "Date and time of the last image modification", readOnly=True),
    "tags": _p("array", "List of strings related to the image", items={"type": "string", "maxLength": 255}),
    "direct_url": _p("string", "URL to access the image file kept in external store", readOnly=True),
    "min_ram": _p("integer", "Amount of ram (in MB) required to boot image."),
    "min_disk": _p("integer", "Amount of disk space (in GB) required to boot image."),
    "self": _p("string", "An image self url", readOnly=True),
    "file": _p("string", "An image file url", readOnly=True),
    "stores": _p("string", "Store in which image data resides.  Only present when the operator has enabled "
                 "multiple stores.  May be a comma-separated list of store identifiers.", readOnly=True),
    "schema": _p("string", "An image schema url", readOnly=True),
    "locations": _p("array", "A set of URLs to access the image file kept in external store",
                    items={"type": "object", "properties": {"url": {"type": "string", "maxLength": 255},
                                                            "metadata": {"type": "object"}},
                           "required": ["url", "metadata"]}),
}
IMAGE_SCHEMA = {"name": "image", "properties": BASE_PROPERTIES, "additionalProperties": {"type": "string"},
                "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                          {"rel": "describedby", "href": "{schema}"}]}
# what a request body is checked against (jsonschema reads no 'name'/'links')
BODY_SCHEMA = {"type": "object", "properties": {k: {x: y for x, y in v.items() if x != "description"}
                                                for k, v in BASE_PROPERTIES.items()},
               "additionalProperties": {"type": "string"}}

DISALLOWED = ("direct_url", "self", "file", "schema", "stores")
READ_ONLY = ("created_at", "updated_at", "status", "checksum", "size", "virtual_size", "direct_url", "self",
             "file", "schema", "id", "os_hash_algo", "os_hash_value")
RESERVED = ("location", "deleted", "deleted_at")
RESERVED_NS = "os_glance"
WRITABLE = ("name", "visibility", "protected", "os_hidden", "owner", "container_format", "disk_format",
            "min_ram", "min_disk")
PROPERTY_QUOTA = 128
TAG_QUOTA = 128


def check_body(body: dict[str, Any]) -> None:
    try:
        schemas.validate(BODY_SCHEMA, body)
    except BadRequest as err:
        raise BadRequest(f"Provided object does not match schema 'image': {err.extra.get('detail') or err}") \
            from None


def check_key(key: str) -> None:
    if key in RESERVED or key.startswith(RESERVED_NS):
        raise Forbidden(f"Attribute '{key}' is reserved.")


# --- views ---------------------------------------------------------------------
def render_images(conn: Connection, rows: list[dict[str, Any]], ctx: Context | None = None) -> list[dict[str, Any]]:
    """Image views for a page of rows: two queries for properties and tags, whatever the page size;
    for a caller (ctx), `locations` and `direct_url` when the operator shows them."""
    ids = [r["id"] for r in rows]
    props: dict[str, dict[str, str]] = {i: {} for i in ids}
    tags: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for p in conn.execute(sa.select(image_properties).where(image_properties.c.image_id.in_(ids))):
            props[p.image_id][p.name] = p.value
        for t in conn.execute(sa.select(image_tags).where(image_tags.c.image_id.in_(ids))):
            tags[t.image_id].append(t.value)
    views = [render_image(r, props[r["id"]], tags[r["id"]]) for r in rows]
    if ctx is not None and (stores.SHOW["direct_url"] or stores.SHOW["locations"]):
        for row, view in zip(rows, views):
            view.update(location_fields(conn, ctx, row))
    return views


def location_fields(conn: Connection, ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """Glance's ResponseSerializer: `locations` (all of them, [] when there are none or the caller
    may not see them: get_image_location) with show_multiple_locations; `direct_url` (the first,
    by store weight) with show_image_direct_url, left out when there is none."""
    found = []
    if access.check(ctx, "get_image_location", access.target_of(conn, ctx, row)):
        found = locations.render_locations(conn, row)
    out: dict[str, Any] = {}
    if stores.SHOW["locations"]:
        out["locations"] = found
    if stores.SHOW["direct_url"] and found:
        out["direct_url"] = found[0]["url"]
    return out


def render_image(row: dict[str, Any], props: dict[str, str], tags: list[str]) -> dict[str, Any]:
    view: dict[str, Any] = dict(props)
    for key in ("name", "disk_format", "container_format", "visibility", "size", "virtual_size", "status",
                "checksum", "protected", "min_ram", "min_disk", "owner", "os_hidden", "os_hash_algo",
                "os_hash_value"):
        view[key] = row[key]
    view.update(id=row["id"], created_at=isotime(row["created_at"]),
                updated_at=isotime(row["updated_at"] or row["created_at"]), tags=sorted(tags),
                self=f"/v2/images/{row['id']}", file=f"/v2/images/{row['id']}/file", schema="/v2/schemas/image")
    if row["stores"]:
        view["stores"] = stores.join(stores.split(row["stores"]))
    return view


def show(conn: Connection, image_id: str, ctx: Context | None = None) -> dict[str, Any]:
    row = conn.execute(sa.select(images).where(images.c.id == image_id)).mappings().one()
    return render_images(conn, [dict(row)], ctx)[0]


# --- logic ---------------------------------------------------------------------
def set_properties(conn: Connection, image_id: str, props: dict[str, str]) -> None:
    conn.execute(image_properties.delete().where(image_properties.c.image_id == image_id))
    if props:
        conn.execute(image_properties.insert(), [{"image_id": image_id, "name": k, "value": v}
                                                 for k, v in props.items()])


def set_tags(conn: Connection, image_id: str, tags: list[str]) -> None:
    if len(tags) > TAG_QUOTA:
        raise OverLimit(f"Maximum number of tags exceeded. Attempted: {len(tags)}, Maximum: {TAG_QUOTA}")
    conn.execute(image_tags.delete().where(image_tags.c.image_id == image_id))
    if tags:
        conn.execute(image_tags.insert(), [{"image_id": image_id, "value": t} for t in dict.fromkeys(tags)])


def check_property_quota(props: dict[str, str]) -> None:
    if len(props) > PROPERTY_QUOTA:
        raise OverLimit(f"Maximum number of image properties exceeded. Attempted: {len(props)}, "
                        f"Maximum: {PROPERTY_QUOTA}")


def check_visibility(ctx: Context, target: dict[str, Any], visibility: str | None) -> None:
    if visibility == "public":
        access.enforce(ctx, "publicize_image", target)
    elif visibility == "community":
        access.enforce(ctx, "communitize_image", target)


def create_image_row(conn: Connection, ctx: Context, body: Any) -> str:
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    for key in DISALLOWED:
        if key in body:
            raise Forbidden(f"Attribute '{key}' is read-only.")
    check_body(body)
    body = dict(body)
    for key in READ_ONLY:
        if key in body and key != "id":
            raise Forbidden(f"Attribute '{key}' is read-only.")
    tags = body.pop("tags", None) or []
    core = {k: body.pop(k) for k in (*WRITABLE, "id") if k in body}
    for key in body:
        if len(key) > 255:
            raise BadRequest("Custom property should not be greater than 255 characters.")
        check_key(key)
    check_property_quota(body)
    owner = core.get("owner", ctx.project_id)
    if not ctx.is_admin and owner != ctx.project_id:
        raise Forbidden(f"You are not permitted to create images owned by '{owner}'.")
    visibility = core.get("visibility", "shared")
    check_visibility(ctx, {"project_id": owner, "owner": owner, "visibility": visibility}, visibility)
    for key in ("min_ram", "min_disk"):
        if core.get(key, 0) < 0:
            raise BadRequest(f"Invalid value '{core[key]}' for parameter '{key}': Cannot be a negative value.")
    quotas.enforce(ctx, ctx.project_id, {quotas.COUNT_TOTAL: 1})
    image_id = core.get("id") or new_uuid()
    if conn.execute(sa.select(images.c.id).where(images.c.id == image_id)).first():
        raise Conflict(f"Image with identifier {image_id} already exists!")
    now = utcnow()
    conn.execute(images.insert().values(
        id=image_id, name=core.get("name"), status="queued", visibility=visibility, owner=owner,
        disk_format=core.get("disk_format"), container_format=core.get("container_format"),
        min_disk=core.get("min_disk", 0), min_ram=core.get("min_ram", 0), protected=core.get("protected", False),
        os_hidden=core.get("os_hidden", False), created_at=now, updated_at=now))
    set_properties(conn, image_id, body)
    set_tags(conn, image_id, tags)
    return image_id


def delete_image_row(conn: Connection, ctx: Context, image_id: str) -> str | None:
    """Delete the row; returns the stores that held its data."""
    image = access.load(conn, ctx, image_id)
    if image["protected"]:
        raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
    conn.execute(images.delete().where(images.c.id == image_id))
    return image["stores"]


# --- routes --------------------------------------------------------------------
def create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body if isinstance(rq.body, dict) else {}
    owner = body.get("owner", ctx.project_id)
    return {"project_id": owner, "owner": owner, "visibility": body.get("visibility", "shared")}


def create_image(ctx: Context, rq: ApiRequest) -> Any:
    with db.session() as conn:
        image_id = create_image_row(conn, ctx, rq.body)
        view = show(conn, image_id, ctx)
    image_notifications.send(ctx, "image.create", view)
    return json_response(201, view, {"Location": f"{ctx.base_url}{rq.service_prefix}/v2/images/{image_id}",
                                     "OpenStack-image-import-methods": ",".join(stores.IMPORT_METHODS),
                                     "OpenStack-image-store-ids": ",".join(stores.STORE_IDS)})


def list_images(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.path.endswith("/"):                      # GET /v2/images/ is a show with an empty id
        raise NotFound("The resource could not be found.")
    with db.reader() as conn:
        rows, next_marker = image_list.page(conn, ctx, rq.query)
        body: dict[str, Any] = {"images": render_images(conn, rows, ctx)}
    body.update(image_list.links(rq.query, next_marker))
    return body


def show_image(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        image = access.load(conn, ctx, rq.params["image_id"])
        return render_images(conn, [image], ctx)[0]


def delete_image(ctx: Context, rq: ApiRequest) -> None:
    image_id = rq.params["image_id"]
    with db.reader() as conn:
        image = access.load(conn, ctx, image_id)
    if not image["protected"] and (why := stores.in_use(image_id, image["stores"])):
        # glance_store's InUseByStore (an RBD image with clones): the image stays as it is
        raise Conflict(f"Image {image_id} could not be deleted because it is in use: {why}")
    with db.session() as conn:
        view = show(conn, access.load(conn, ctx, image_id)["id"]) if notifications.enabled() else None
        held = delete_image_row(conn, ctx, image_id)
    stores.delete_data(image_id, held)
    cache.forget(image_id)
    if view is not None:
        image_notifications.deleted(ctx, view)


def delete_empty_id(ctx: Context, rq: ApiRequest) -> None:
    if rq.path.endswith("/"):
        raise NotFound("The resource could not be found.")
    raise MethodNotAllowed("The method is not allowed for the requested URL.")


ROUTES = [
    route("POST", "/v2/images", create_image, policy="add_image", target=create_target, status=201),
    route("GET", "/v2/images", list_images, policy="get_images"),
    route("DELETE", "/v2/images", delete_empty_id, policy=ANY_USER),
    route("GET", "/v2/images/{image_id}", show_image, policy="get_image", target=access.image_target),
    route("DELETE", "/v2/images/{image_id}", delete_image, policy="delete_image", target=access.image_target,
          status=204),
]
