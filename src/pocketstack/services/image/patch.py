"""Image update: PATCH /v2/images/{id} with a JSON patch (api-ref: image, Update image).

Glance accepts application/openstack-images-v2.1-json-patch (draft 10: {"op", "path", "value"}) and
the older v2.0 form (draft 4: {"replace": "/name", "value": ...}).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, UnsupportedMediaType
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, images
from pocketstack.services.image import notifications as image_notifications
from pocketstack.services.image.tables import image_properties, image_tags
from pocketstack.services.image.tables import images as images_table

# --- schemas ---------------------------------------------------------------------
CONTENT_TYPES = {"application/openstack-images-v2.0-json-patch": 4,
                 "application/openstack-images-v2.1-json-patch": 10}
OPERATIONS = ("add", "remove", "replace")


def _pointer(pointer: Any) -> list[str]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise BadRequest(f'Pointer `{pointer}` does not start with "/".')
    if re.search(r"/\s*?/", pointer[1:]):
        raise BadRequest(f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise BadRequest(f'Pointer `{pointer}` end with "/".')
    if re.search("~[^01]", pointer) or pointer.endswith("~"):
        raise BadRequest(f'Pointer `{pointer}` contains "~" not part of a recognized escape sequence.')
    return [p.replace("~1", "/").replace("~0", "~").strip() for p in pointer.lstrip("/").split("/")]


def parse_change(raw: Any, draft: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequest("Operations must be JSON objects.")
    if draft == 10:
        op = raw.get("op")
        if op not in OPERATIONS:
            raise BadRequest(f"Invalid operation: `{op}`. It must be one of the following: add, remove, replace.")
        if "path" not in raw:
            raise BadRequest("Unable to find 'path' in JSON Schema change")
        path = _pointer(raw["path"])
    else:
        ops = [k for k in OPERATIONS if k in raw]
        if len(ops) != 1:
            raise BadRequest('Operation objects must contain exactly one member named "add", "remove", '
                             'or "replace".')
        op, path = ops[0], _pointer(raw[ops[0]])
    if len(path) != 1:
        raise BadRequest(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
    change = {"op": op, "path": path[0]}
    if op != "remove":
        if "value" not in raw:
            raise BadRequest(f'Operation "{op}" requires a member named "value".')
        change["value"] = raw["value"]
    _validate(change)
    return change


def _validate(change: dict[str, Any]) -> None:
    key = change["path"]
    if key in images.READ_ONLY:
        raise Forbidden(f"Attribute '{key}' is read-only.")
    images.check_key(key)
    if change["op"] != "remove" and key != "locations":
        images.check_body({key: change["value"]})


# --- logic -------------------------------------------------------------------------
def apply(ctx: Context, image: dict[str, Any], props: dict[str, str], tags: list[str],
          change: dict[str, Any], target: dict[str, Any]) -> list[str]:
    key, op, value = change["path"], change["op"], change.get("value")
    if key == "locations":
        raise Forbidden("It's not allowed to update locations if locations are invisible."
                        if op != "remove" else "It's not allowed to remove locations if locations are invisible.")
    if op == "remove":
        if key in images.WRITABLE or key == "tags":
            raise Forbidden(f"Property {key} may not be removed.")
        if key not in props:
            raise Conflict(f"Property {key} does not exist.")
        del props[key]
        return tags
    if key == "owner" and not ctx.is_admin:
        raise Forbidden("Owner can't be updated by non admin.")
    if key == "visibility":
        images.check_visibility(ctx, target, value)
    if key == "tags":
        return list(dict.fromkeys(value))
    if key in images.WRITABLE:
        if key in ("container_format", "disk_format") and image["status"] != "queued" and image[key] != value:
            raise Forbidden(f"Attribute {key} can be only replaced for a queued image.")
        if key in ("min_ram", "min_disk") and value < 0:
            raise BadRequest(f"Invalid value '{value}' for parameter '{key}': Cannot be a negative value.")
        image[key] = value
    elif op == "replace" and key not in props:
        raise Conflict(f"Property {key} does not exist.")
    elif op == "add" and change.get("draft") == 4 and key in props:
        raise Conflict(f"Property {key} already present.")
    else:
        props[key] = value
    return tags


def update_image_row(conn: Connection, ctx: Context, image_id: str, changes: list[dict[str, Any]]) -> None:
    image = access.load(conn, ctx, image_id)
    target = access.target_of(conn, ctx, image)
    props = {p.name: p.value for p in conn.execute(
        sa.select(image_properties).where(image_properties.c.image_id == image_id))}
    tags = list(conn.execute(sa.select(image_tags.c.value).where(image_tags.c.image_id == image_id)).scalars())
    before = (dict(props), list(tags))
    for change in changes:
        tags = apply(ctx, image, props, tags, change, target)
    images.check_property_quota(props)
    conn.execute(images_table.update().where(images_table.c.id == image_id).values(
        **{k: image[k] for k in images.WRITABLE}, updated_at=utcnow()))
    if props != before[0]:
        images.set_properties(conn, image_id, props)
    if tags != before[1]:
        images.set_tags(conn, image_id, tags)


# --- routes ------------------------------------------------------------------------
def update_image(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    content_type = rq.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in CONTENT_TYPES:
        allowed = ", ".join(sorted(CONTENT_TYPES))
        raise UnsupportedMediaType("The request media type %s is not supported by this server."
                                   % (content_type or "None"), headers={"Accept-Patch": allowed},
                                   detail=f"Image PATCH expects Content-Type one of: {allowed}")
    if rq.body is None:
        raise BadRequest("Body expected in request.")
    if not isinstance(rq.body, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    draft = CONTENT_TYPES[content_type]
    changes = [{**parse_change(raw, draft), "draft": draft} for raw in rq.body]
    with db.session() as conn:
        update_image_row(conn, ctx, rq.params["image_id"], changes)
        view = images.show(conn, rq.params["image_id"], ctx)
    image_notifications.send(ctx, "image.update", view)
    return view


ROUTES = [
    route("PATCH", "/v2/images/{image_id}", update_image, policy="modify_image", target=access.image_target),
]
