"""Regions: /v3/regions (api-ref: identity, Regions)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.tables import endpoints, regions

# --- schemas -------------------------------------------------------------------
REGION_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
_PROPS = {"description": {"type": ["string", "null"], "maxLength": 255}, "id": REGION_ID,
          "parent_region_id": REGION_ID}
CREATE = schemas.wrap("region", schemas.obj({**_PROPS, "id": {**REGION_ID, "minLength": 0}}))
UPDATE = schemas.wrap("region", schemas.obj(_PROPS, minProperties=1))
LIST_QUERY = schemas.obj({"parent_region_id": REGION_ID})
_COLUMNS = ("id", "description", "parent_region_id")


# --- views -----------------------------------------------------------------------
def render_region(ctx: Context, row: Any) -> dict[str, Any]:
    return {**(row["extra"] or {}), "id": row["id"], "description": row["description"] or "",
            "parent_region_id": row["parent_region_id"], "links": links.entity(ctx, f"regions/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def get_region(conn: Connection, region_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(regions).where(regions.c.id == region_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find region: {region_id}.")
    return dict(row)


def exists(conn: Connection, region_id: str) -> bool:
    return conn.execute(sa.select(regions.c.id).where(regions.c.id == region_id)).first() is not None


def create_region_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    region_id = spec.get("id") or new_id()
    if exists(conn, region_id):
        raise Conflict(f"Conflict occurred attempting to store region - Duplicate ID, {region_id}.")
    parent = spec.get("parent_region_id")
    if parent is not None and not exists(conn, parent):
        raise NotFound(f"Could not find region: {parent}.")
    row = {"id": region_id, "description": spec.get("description") or "", "parent_region_id": parent,
           "extra": {k: v for k, v in spec.items() if k not in _COLUMNS}}
    conn.execute(regions.insert().values(**row))
    return row


def _ancestors(conn: Connection, region_id: str | None) -> list[str]:
    seen: list[str] = []
    while region_id is not None and region_id not in seen:
        seen.append(region_id)
        region_id = conn.execute(sa.select(regions.c.parent_region_id)
                                 .where(regions.c.id == region_id)).scalar()
    return seen


def update_region_row(conn: Connection, region_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    parent = changes.get("parent_region_id")
    if parent is not None and not exists(conn, parent):
        raise NotFound(f"Could not find region: {parent}.")
    current = get_region(conn, region_id)
    if parent is not None and region_id in _ancestors(conn, parent):
        raise BadRequest(f"The specified parent region {parent} would create a circular region hierarchy.")
    values: dict[str, Any] = {k: changes[k] for k in ("parent_region_id",) if k in changes}
    if "description" in changes:
        values["description"] = changes["description"] or ""
    extra = {k: v for k, v in changes.items() if k not in _COLUMNS}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    if values:
        conn.execute(regions.update().where(regions.c.id == region_id).values(**values))
    return get_region(conn, region_id)


def subtree(conn: Connection, region_id: str) -> list[str]:
    """The region and all its descendants (cycle-safe)."""
    out, frontier = [region_id], [region_id]
    while frontier:
        children = conn.execute(sa.select(regions.c.id).where(regions.c.parent_region_id.in_(frontier))).scalars()
        frontier = [c for c in children if c not in out]
        out.extend(frontier)
    return out


def delete_region_row(conn: Connection, region_id: str) -> None:
    get_region(conn, region_id)
    ids = subtree(conn, region_id)
    if conn.execute(sa.select(endpoints.c.id).where(endpoints.c.region_id.in_(ids))).first():
        raise Forbidden(f"Unable to delete region {region_id} because it or its child regions have "
                        f"associated endpoints.")
    conn.execute(regions.delete().where(regions.c.id.in_(ids)))


# --- routes ------------------------------------------------------------------------
def list_regions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(regions).order_by(regions.c.id)
    if "parent_region_id" in rq.query:
        stmt = stmt.where(regions.c.parent_region_id == rq.query["parent_region_id"])
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"regions": [render_region(ctx, r) for r in rows], "links": links.collection(ctx, "regions", str(rq.query))}


def create_region(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"region": render_region(ctx, create_region_row(conn, rq.body["region"]))}


def put_region(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = rq.body["region"]
    if spec.setdefault("id", rq.params["region_id"]) != rq.params["region_id"]:
        raise BadRequest(f'Conflicting region IDs specified: "{rq.params["region_id"]}" != "{spec["id"]}"')
    with db.session() as conn:
        return {"region": render_region(ctx, create_region_row(conn, spec))}


def show_region(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"region": render_region(ctx, get_region(conn, rq.params["region_id"]))}


def update_region(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    changes = rq.body["region"]
    if changes.pop("id", rq.params["region_id"]) != rq.params["region_id"]:
        raise BadRequest("Cannot change ID")
    with db.session() as conn:
        return {"region": render_region(ctx, update_region_row(conn, rq.params["region_id"], changes))}


def delete_region(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_region_row(conn, rq.params["region_id"])


ROUTES = [
    route("GET", "/v3/regions", list_regions, policy="identity:list_regions", query=LIST_QUERY),
    route("POST", "/v3/regions", create_region, policy="identity:create_region", body=CREATE, status=201),
    route("GET", "/v3/regions/{region_id}", show_region, policy="identity:get_region"),
    route("PUT", "/v3/regions/{region_id}", put_region, policy="identity:create_region", body=CREATE, status=201),
    route("PATCH", "/v3/regions/{region_id}", update_region, policy="identity:update_region", body=UPDATE),
    route("DELETE", "/v3/regions/{region_id}", delete_region, policy="identity:delete_region", status=204),
]
