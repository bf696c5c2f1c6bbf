"""Who sees which image, policy targets built from an image row, and policy checks in logic.

Glance hides images a caller may not see behind 404 (db `is_image_visible`), then applies the
upstream policy rule to an ImageTarget (project_id = owner, member_id, visibility).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.routing import ApiRequest, Service
from pocketstack.services.image.tables import image_members, images

_service: Service | None = None


def bind(service: Service) -> None:
    global _service
    _service = service


def enforce(ctx: Context, rule_name: str, target: dict[str, Any]) -> None:
    assert _service is not None and _service.policy is not None
    _service.policy.enforce(rule_name, target, ctx)


def check(ctx: Context, rule_name: str, target: dict[str, Any]) -> bool:
    assert _service is not None and _service.policy is not None
    return _service.policy.check(rule_name, target, ctx)


def not_found(image_id: str) -> NotFound:
    return NotFound(f"No image found with ID {image_id}")


def member_row(conn: Connection, image_id: str, project_id: str | None) -> dict[str, Any] | None:
    if project_id is None:
        return None
    row = conn.execute(sa.select(image_members).where(image_members.c.image_id == image_id,
                                                      image_members.c.member == project_id)).mappings().first()
    return dict(row) if row else None


def is_visible(conn: Connection, ctx: Context, image: dict[str, Any]) -> bool:
    if ctx.is_admin or image["owner"] is None or image["visibility"] in ("public", "community"):
        return True
    if ctx.project_id is not None and image["owner"] == ctx.project_id:
        return True
    return image["visibility"] == "shared" and member_row(conn, image["id"], ctx.project_id) is not None


def load(conn: Connection, ctx: Context, image_id: str, *, for_update: bool = False) -> dict[str, Any]:
    stmt = sa.select(images).where(images.c.id == image_id)
    row = conn.execute(stmt).mappings().first()
    if row is None or not is_visible(conn, ctx, dict(row)):
        raise not_found(image_id)
    return dict(row)


def target_of(conn: Connection, ctx: Context, image: dict[str, Any]) -> dict[str, Any]:
    member = member_row(conn, image["id"], ctx.project_id)
    return {"project_id": image["owner"], "owner": image["owner"], "visibility": image["visibility"],
            "member_id": member["member"] if member else None, "id": image["id"], "status": image["status"]}


def image_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """Route target: loads the image (404 when invisible) and builds Glance's ImageTarget. As
    Glance's ImageAPIPolicy, a caller refused get_image (a system-scoped token, say) learns
    nothing: 404 whatever the rule."""
    with db.reader() as conn:
        image = load(conn, ctx, rq.params["image_id"])
        target = target_of(conn, ctx, image)
    if not check(ctx, "get_image", target):
        raise not_found(image["id"])
    return target


def service_catalog(ctx: Context) -> list[dict[str, Any]]:
    """The caller's service catalog (keystone's GET /v3/auth/catalog), as Glance reads it from the
    request context."""
    catalog = (ctx.token_data or {}).get("catalog")
    if catalog is None:
        r = internal_client.call("GET", "/identity/v3/auth/catalog", token=ctx.token)
        catalog = r.json().get("catalog", []) if r.status_code == 200 else []
    return list(catalog)
