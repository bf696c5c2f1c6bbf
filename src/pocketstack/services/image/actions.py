"""Image tags and actions: /v2/images/{id}/tags/{tag}, /v2/images/{id}/actions/(de|re)activate."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound, OverLimit
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, images
from pocketstack.services.image.tables import image_tags
from pocketstack.services.image.tables import images as images_table


# --- logic -------------------------------------------------------------------------
def _touch(conn: sa.Connection, image_id: str, **values: object) -> None:
    conn.execute(images_table.update().where(images_table.c.id == image_id).values(**values, updated_at=utcnow()))


def add_tag(conn: sa.Connection, ctx: Context, image_id: str, tag: str) -> None:
    access.load(conn, ctx, image_id)
    if len(tag) > 255:
        raise BadRequest("Provided object does not match schema 'image': tag is too long (maximum 255)")
    existing = list(conn.execute(sa.select(image_tags.c.value).where(image_tags.c.image_id == image_id)).scalars())
    if tag in existing:
        return
    if len(existing) + 1 > images.TAG_QUOTA:
        raise OverLimit(f"Maximum number of tags exceeded. Attempted: {len(existing) + 1}, "
                        f"Maximum: {images.TAG_QUOTA}")
    conn.execute(image_tags.insert().values(image_id=image_id, value=tag))
    _touch(conn, image_id)


def delete_tag(conn: sa.Connection, ctx: Context, image_id: str, tag: str) -> None:
    access.load(conn, ctx, image_id)
    gone = conn.execute(image_tags.delete().where(image_tags.c.image_id == image_id, image_tags.c.value == tag))
    if gone.rowcount == 0:
        raise NotFound(f"Tag {tag} not found.")
    _touch(conn, image_id)


def set_active(conn: sa.Connection, ctx: Context, image_id: str, active: bool) -> None:
    image = access.load(conn, ctx, image_id)
    wanted, other = ("active", "deactivated") if active else ("deactivated", "active")
    if image["status"] == wanted:
        return
    if image["status"] != other:
        verb = "reactivate" if active else "deactivate"
        raise BadRequest(f"Not allowed to {verb} image in status '{image['status']}'")
    _touch(conn, image_id, status=wanted)


# --- routes --------------------------------------------------------------------------
def put_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        add_tag(conn, ctx, rq.params["image_id"], rq.params["tag"])


def remove_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_tag(conn, ctx, rq.params["image_id"], rq.params["tag"])


def deactivate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        set_active(conn, ctx, rq.params["image_id"], False)


def reactivate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        set_active(conn, ctx, rq.params["image_id"], True)


IMG = "/v2/images/{image_id}"
ROUTES = [
    route("PUT", IMG + "/tags/{tag}", put_tag, policy="modify_image", target=access.image_target, status=204),
    route("DELETE", IMG + "/tags/{tag}", remove_tag, policy="modify_image", target=access.image_target,
          status=204),
    route("POST", IMG + "/actions/deactivate", deactivate, policy="deactivate", target=access.image_target,
          status=204),
    route("POST", IMG + "/actions/reactivate", reactivate, policy="reactivate", target=access.image_target,
          status=204),
]
