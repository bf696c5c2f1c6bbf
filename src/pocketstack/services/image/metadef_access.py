"""Who may read or change a metadata definition namespace, for every metadefs module.

Who sees a namespace is Glance's db rule (admin, no owner, public, or the owner's project) and
then its policy on a target {project_id: owner, visibility}; a namespace the caller cannot see is
404, a visible one the caller may not change is 403 (glance/api/v2/policy.py MetadefAPIPolicy).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.image import access
from pocketstack.services.image.tables import metadef_associations, metadef_namespaces, metadef_resource_types

NS = "/v2/metadefs/namespaces"
LIMIT_DEFAULT, LIMIT_MAX = 25, 1000


def paging(query: Any, sort_keys: Any) -> tuple[int, str, str]:
    """limit, sort_dir, sort_key of a metadefs list, checked with Glance's messages."""
    try:
        limit = min(int(query.get("limit", LIMIT_DEFAULT)), LIMIT_MAX)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    sort_dir = query.get("sort_dir", "desc")
    if sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {sort_dir}")
    sort_key = query.get("sort_key", "created_at")
    if sort_key not in sort_keys:
        raise BadRequest(f"Invalid sort key: {sort_key}")
    return limit, sort_dir, sort_key


def visible(ctx: Context, ns: dict[str, Any]) -> bool:
    return (ctx.is_admin or ns["owner"] is None or ns["visibility"] == "public"
            or (ctx.project_id is not None and ns["owner"] == ctx.project_id))


def target(ns: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": ns["owner"], "visibility": ns["visibility"]}


def readable(ctx: Context, ns: dict[str, Any]) -> bool:
    return visible(ctx, ns) and access.check(ctx, "get_metadef_namespace", target(ns))


def authorize(ctx: Context, rule: str, ns: dict[str, Any]) -> None:
    """A refused rule on a namespace the caller cannot read is 404; on one it can read, 403."""
    if not access.check(ctx, rule, target(ns)):
        if rule == "get_metadef_namespace" or not readable(ctx, ns):
            raise NotFound("The resource could not be found.")
        access.enforce(ctx, rule, target(ns))


def load(conn: Connection, ctx: Context, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(metadef_namespaces).where(metadef_namespaces.c.namespace == name)).mappings().first()
    if row is None:
        raise NotFound(f"Metadata definition namespace={name} was not found.")
    ns = dict(row)
    if not readable(ctx, ns):
        raise NotFound(f"Namespace {name} not found")
    return ns


def namespace_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """Route target: the namespace in the path, 404 when the caller cannot read it."""
    with db.reader() as conn:
        return target(load(conn, ctx, rq.params["namespace"]))


def protect(ns: dict[str, Any], what: str, name: str) -> None:
    if ns["protected"]:
        raise Forbidden(f"Metadata definition {what} {name} is protected and cannot be deleted.")


def compact(view: dict[str, Any]) -> dict[str, Any]:
    """wsme leaves out attributes that are None."""
    return {k: v for k, v in view.items() if v is not None}


def render_association(row: Any) -> dict[str, Any]:
    return compact({"name": row["name"], "prefix": row["prefix"], "properties_target": row["properties_target"],
                    "created_at": isotime(row["created_at"]), "updated_at": isotime(row["updated_at"])})


def associations(conn: Connection, namespace_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(metadef_resource_types.c.name, metadef_associations).join(
        metadef_resource_types, metadef_resource_types.c.id == metadef_associations.c.resource_type_id).where(
        metadef_associations.c.namespace_id == namespace_id).order_by(metadef_associations.c.created_at)).mappings()
    return [render_association(r) for r in rows]
