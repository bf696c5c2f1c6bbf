"""Endpoints: /v3/endpoints (api-ref: identity, Service catalog and endpoints: endpoints)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links, regions, services
from pocketstack.services.identity.tables import endpoints, policy_associations, project_endpoints

# --- schemas -------------------------------------------------------------------
INTERFACE = {"type": "string", "enum": ["admin", "internal", "public"]}
_PROPS = {"enabled": {"type": "boolean"}, "interface": INTERFACE,
          "region_id": {"type": ["string", "null"]}, "region": {"type": ["string", "null"]},
          "service_id": {"type": "string"}, "url": schemas.url, "name": {"type": "string"},
          "description": {"type": ["string", "null"]}}
CREATE = schemas.wrap("endpoint", schemas.obj({**_PROPS, "id": {"type": "string"}},
                                              ["interface", "service_id", "url"]))
UPDATE = schemas.wrap("endpoint", schemas.obj(_PROPS, minProperties=1))
LIST_QUERY = schemas.obj({"interface": INTERFACE})
_COLUMNS = ("id", "interface", "service_id", "url", "region_id", "enabled", "region", "legacy_endpoint_id")
_SUBSTITUTIONS = {"tenant_id", "project_id", "user_id", "compute_host", "public_endpoint"}


# --- views -----------------------------------------------------------------------
def render_endpoint(ctx: Context, row: Any) -> dict[str, Any]:
    # quirk: keystone still echoes the v3.0 `region` field, equal to region_id.
    extra = {k: v for k, v in (row["extra"] or {}).items() if k != "bootstrap"}  # bootstrap's own marker
    return {**extra, "id": row["id"], "interface": row["interface"],
            "service_id": row["service_id"], "url": row["url"], "region_id": row["region_id"],
            "region": row["region_id"], "enabled": row["enabled"],
            "links": links.entity(ctx, f"endpoints/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def get_endpoint(conn: Connection, endpoint_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(endpoints).where(endpoints.c.id == endpoint_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find endpoint: {endpoint_id}.")
    return dict(row)


def _check_url(url: str) -> None:
    for name in re.findall(r"\$\((\w*)\)", url):
        if name not in _SUBSTITUTIONS:
            raise BadRequest(f"Cannot create an endpoint with an invalid URL: {url}.")


def _resolve_refs(conn: Connection, spec: dict[str, Any]) -> None:
    """Legacy `region` auto-creates its region (keystone's v2 compatibility); region_id and
    service_id must exist."""
    if spec.get("region_id") is None and spec.get("region") is not None:
        spec["region_id"] = spec["region"]
        if not regions.exists(conn, spec["region_id"]):
            regions.create_region_row(conn, {"id": spec["region_id"]})
    elif spec.get("region_id") is not None and not regions.exists(conn, spec["region_id"]):
        raise BadRequest("Expecting to find endpoint region_id in region table. The server could not comply with "
                         "the request since it is either malformed or otherwise incorrect. The client is assumed "
                         "to be in error.")
    if spec.get("service_id") is not None and not services.exists(conn, spec["service_id"]):
        raise BadRequest("Expecting to find endpoint service_id in service table. The server could not comply "
                         "with the request since it is either malformed or otherwise incorrect. The client is "
                         "assumed to be in error.")


def create_endpoint_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    _check_url(spec["url"])
    _resolve_refs(conn, spec)
    row = {"id": spec.get("id") or new_id(), "interface": spec["interface"], "service_id": spec["service_id"],
           "url": spec["url"], "region_id": spec.get("region_id"), "enabled": spec.get("enabled", True),
           "extra": {k: v for k, v in spec.items() if k not in _COLUMNS}}
    conn.execute(endpoints.insert().values(**row))
    return row


def update_endpoint_row(conn: Connection, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_endpoint(conn, endpoint_id)
    if "url" in changes:
        _check_url(changes["url"])
    _resolve_refs(conn, changes)
    values = {k: changes[k] for k in ("interface", "service_id", "url", "region_id", "enabled") if k in changes}
    extra = {k: v for k, v in changes.items() if k not in _COLUMNS}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    if values:
        conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(**values))
    return get_endpoint(conn, endpoint_id)


def delete_endpoint_row(conn: Connection, endpoint_id: str) -> None:
    get_endpoint(conn, endpoint_id)
    conn.execute(project_endpoints.delete().where(project_endpoints.c.endpoint_id == endpoint_id))
    conn.execute(policy_associations.delete().where(policy_associations.c.endpoint_id == endpoint_id))
    conn.execute(endpoints.delete().where(endpoints.c.id == endpoint_id))


def list_endpoint_rows(conn: Connection, filters: Any) -> list[Any]:
    stmt = sa.select(endpoints).order_by(endpoints.c.service_id, endpoints.c.interface, endpoints.c.id)
    for key in ("interface", "service_id", "region_id"):
        if key in filters and filters[key] is not None:
            stmt = stmt.where(endpoints.c[key] == filters[key])
    return list(conn.execute(stmt).mappings().all())


# --- routes ------------------------------------------------------------------------
def list_endpoints(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = list_endpoint_rows(conn, rq.query)
    return {"endpoints": [render_endpoint(ctx, r) for r in rows],
            "links": links.collection(ctx, "endpoints", str(rq.query))}


def create_endpoint(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"endpoint": render_endpoint(ctx, create_endpoint_row(conn, rq.body["endpoint"]))}


def show_endpoint(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"endpoint": render_endpoint(ctx, get_endpoint(conn, rq.params["endpoint_id"]))}


def update_endpoint(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    changes = rq.body["endpoint"]
    if changes.pop("id", rq.params["endpoint_id"]) != rq.params["endpoint_id"]:
        raise BadRequest("Cannot change ID")
    with db.session() as conn:
        return {"endpoint": render_endpoint(ctx, update_endpoint_row(conn, rq.params["endpoint_id"], changes))}


def delete_endpoint(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_endpoint_row(conn, rq.params["endpoint_id"])


ROUTES = [
    route("GET", "/v3/endpoints", list_endpoints, policy="identity:list_endpoints", query=LIST_QUERY),
    route("POST", "/v3/endpoints", create_endpoint, policy="identity:create_endpoint", body=CREATE, status=201),
    route("GET", "/v3/endpoints/{endpoint_id}", show_endpoint, policy="identity:get_endpoint"),
    route("PATCH", "/v3/endpoints/{endpoint_id}", update_endpoint, policy="identity:update_endpoint", body=UPDATE),
    route("DELETE", "/v3/endpoints/{endpoint_id}", delete_endpoint, policy="identity:delete_endpoint", status=204),
]
