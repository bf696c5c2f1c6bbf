"""Image members: /v2/images/{id}/members[/{member_id}] (api-ref: image, Image sharing)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound, OverLimit
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access
from pocketstack.services.image.tables import image_members

STATUSES = ("pending", "accepted", "rejected")
MEMBER_QUOTA = 128


# --- views ---------------------------------------------------------------------------
def render_member(row: Any) -> dict[str, Any]:
    return {"created_at": isotime(row["created_at"]), "image_id": row["image_id"], "member_id": row["member"],
            "schema": "/v2/schemas/member", "status": row["status"],
            "updated_at": isotime(row["updated_at"] or row["created_at"])}


# --- logic ---------------------------------------------------------------------------
def shared_image(conn: Connection, ctx: Context, image_id: str) -> dict[str, Any]:
    image = access.load(conn, ctx, image_id)
    if image["visibility"] != "shared":
        raise Forbidden("Only shared images have members.")
    return image


def find(conn: Connection, ctx: Context, image: dict[str, Any], member_id: str) -> dict[str, Any]:
    row = access.member_row(conn, image["id"], member_id)
    owner_view = ctx.is_admin or image["owner"] == ctx.project_id
    if row is None or (not owner_view and member_id != ctx.project_id):
        raise NotFound(f"{member_id} is not a member of image {image['id']}")
    return row


def add_member(conn: Connection, ctx: Context, image_id: str, body: Any) -> dict[str, Any]:
    shared_image(conn, ctx, image_id)              # 404 or 403 before anything else
    member = body.get("member") if isinstance(body, dict) else None
    if not isinstance(member, str) or not member:
        raise BadRequest("Member to be added not specified")
    if access.member_row(conn, image_id, member) is not None:
        raise Conflict(f"Member {member} is duplicated for image {image_id}")
    count = conn.execute(sa.select(sa.func.count()).select_from(image_members)
                         .where(image_members.c.image_id == image_id)).scalar_one()
    if count + 1 > MEMBER_QUOTA:
        raise OverLimit(f"Maximum number of image members exceeded. Attempted: {count + 1}, "
                        f"Maximum: {MEMBER_QUOTA}")
    now = utcnow()
    conn.execute(image_members.insert().values(image_id=image_id, member=member, status="pending",
                                               created_at=now, updated_at=now))
    return access.member_row(conn, image_id, member) or {}


def update_member(conn: Connection, ctx: Context, image_id: str, member_id: str, body: Any) -> dict[str, Any]:
    image = shared_image(conn, ctx, image_id)
    find(conn, ctx, image, member_id)
    status = body.get("status") if isinstance(body, dict) else None
    if status is None:
        raise BadRequest("Status not specified")
    if status not in STATUSES:
        raise BadRequest(f"Invalid status: {status}")
    conn.execute(image_members.update().where(image_members.c.image_id == image_id,
                                              image_members.c.member == member_id)
                 .values(status=status, updated_at=utcnow()))
    return access.member_row(conn, image_id, member_id) or {}


# --- routes --------------------------------------------------------------------------
def member_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """modify_member checks project_id:%(member_id)s against the member being changed."""
    target = access.image_target(ctx, rq)
    return {**target, "member_id": rq.params["member_id"]}


def create_member(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return render_member(add_member(conn, ctx, rq.params["image_id"], rq.body))


def list_members(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        image = shared_image(conn, ctx, rq.params["image_id"])
        stmt = sa.select(image_members).where(image_members.c.image_id == image["id"])
        if not ctx.is_admin and image["owner"] != ctx.project_id:
            stmt = stmt.where(image_members.c.member == ctx.project_id)
        rows = conn.execute(stmt.order_by(image_members.c.created_at)).mappings().all()
    return {"members": [render_member(r) for r in rows], "schema": "/v2/schemas/members"}


def show_member(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        image = shared_image(conn, ctx, rq.params["image_id"])
        return render_member(find(conn, ctx, image, rq.params["member_id"]))


def set_member(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return render_member(update_member(conn, ctx, rq.params["image_id"], rq.params["member_id"], rq.body))


def delete_member(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        image = shared_image(conn, ctx, rq.params["image_id"])
        find(conn, ctx, image, rq.params["member_id"])
        conn.execute(image_members.delete().where(image_members.c.image_id == image["id"],
                                                  image_members.c.member == rq.params["member_id"]))


M = "/v2/images/{image_id}/members"
ROUTES = [
    route("POST", M, create_member, policy="add_member", target=access.image_target),
    route("GET", M, list_members, policy="get_members", target=access.image_target),
    route("GET", M + "/{member_id}", show_member, policy="get_member", target=access.image_target),
    route("PUT", M + "/{member_id}", set_member, policy="modify_member", target=member_target),
    route("DELETE", M + "/{member_id}", delete_member, policy="delete_member", target=access.image_target,
          status=204),
]
