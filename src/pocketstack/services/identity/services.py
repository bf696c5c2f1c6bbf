"""Services: /v3/services (api-ref: identity, Service catalog and endpoints: services)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.tables import (
    endpoints, policy_associations, project_endpoints, services)

# --- schemas -------------------------------------------------------------------
_PROPS = {"enabled": {"type": "boolean"}, "type": {"type": "string", "minLength": 1, "maxLength": 255},
          "name": {"type": "string", "minLength": 1, "maxLength": 255}}
CREATE = schemas.wrap("service", schemas.obj(_PROPS, ["type"]))
UPDATE = schemas.wrap("service", schemas.obj(_PROPS, minProperties=1))


# --- views -----------------------------------------------------------------------
def render_service(ctx: Context, row: Any) -> dict[str, Any]:
    return {"name": "", **(row["extra"] or {}), "id": row["id"], "type": row["type"], "enabled": row["enabled"],
            "links": links.entity(ctx, f"services/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def get_service(conn: Connection, service_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(services).where(services.c.id == service_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find service: {service_id}.")
    return dict(row)


def exists(conn: Connection, service_id: str) -> bool:
    return conn.execute(sa.select(services.c.id).where(services.c.id == service_id)).first() is not None


def create_service_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    extra = {k: v for k, v in spec.items() if k not in ("id", "type", "enabled")}
    extra.setdefault("name", "")
    row = {"id": spec.get("id") or new_id(), "type": spec["type"], "enabled": spec.get("enabled", True),
           "extra": extra}
    conn.execute(services.insert().values(**row))
    return row


def update_service_row(conn: Connection, service_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_service(conn, service_id)
    values = {k: changes[k] for k in ("type", "enabled") if k in changes}
    extra = {k: v for k, v in changes.items() if k not in ("id", "type", "enabled")}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    if values:
        conn.execute(services.update().where(services.c.id == service_id).values(**values))
    return get_service(conn, service_id)


def delete_service_row(conn: Connection, service_id: str) -> None:
    """The service goes with its endpoints (keystone's SQL driver). Registered limits and limits
    naming it stay, as they do in keystone (whose driver deletes only the endpoints): tools delete a
    service before the registered limit that was moved onto it (OSC's functional tests' cleanups),
    and the limit's own DELETE must still find it."""
    get_service(conn, service_id)
    endpoint_ids = conn.execute(sa.select(endpoints.c.id).where(endpoints.c.service_id == service_id)).scalars().all()
    conn.execute(project_endpoints.delete().where(project_endpoints.c.endpoint_id.in_(endpoint_ids)))
    conn.execute(policy_associations.delete().where(sa.or_(policy_associations.c.service_id == service_id,
                                                           policy_associations.c.endpoint_id.in_(endpoint_ids))))
    conn.execute(endpoints.delete().where(endpoints.c.service_id == service_id))
    conn.execute(services.delete().where(services.c.id == service_id))


def _matches(row: Any, query: Any) -> bool:
    if "type" in query and row["type"] != query["type"]:
        return False
    return "name" not in query or (row["extra"] or {}).get("name") == query["name"]


# --- routes ------------------------------------------------------------------------
def list_services(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(services).order_by(services.c.type, services.c.id)).mappings().all()
    return {"services": [render_service(ctx, r) for r in rows if _matches(r, rq.query)],
            "links": links.collection(ctx, "services", str(rq.query))}


def create_service(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        return {"service": render_service(ctx, create_service_row(conn, rq.body["service"]))}


def show_service(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"service": render_service(ctx, get_service(conn, rq.params["service_id"]))}


def update_service(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    changes = rq.body["service"]
    if changes.pop("id", rq.params["service_id"]) != rq.params["service_id"]:
        raise BadRequest("Cannot change ID")
    with db.session() as conn:
        return {"service": render_service(ctx, update_service_row(conn, rq.params["service_id"], changes))}


def delete_service(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_service_row(conn, rq.params["service_id"])


ROUTES = [
    route("GET", "/v3/services", list_services, policy="identity:list_services"),
    route("POST", "/v3/services", create_service, policy="identity:create_service", body=CREATE, status=201),
    route("GET", "/v3/services/{service_id}", show_service, policy="identity:get_service"),
    route("PATCH", "/v3/services/{service_id}", update_service, policy="identity:update_service", body=UPDATE),
    route("DELETE", "/v3/services/{service_id}", delete_service, policy="identity:delete_service", status=204),
]
