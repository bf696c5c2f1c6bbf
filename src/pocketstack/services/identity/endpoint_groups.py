"""Endpoint filtering: /v3/OS-EP-FILTER (api-ref: identity, OS-EP-FILTER: endpoint groups and project
associations). The token catalog applies these through catalog.project_endpoint_ids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links, projects
from pocketstack.services.identity.catalog import group_endpoint_ids, project_endpoint_ids
from pocketstack.services.identity.endpoints import INTERFACE, get_endpoint, render_endpoint
from pocketstack.services.identity.tables import (
    endpoint_groups, endpoints, project_endpoint_groups, project_endpoints)
from pocketstack.services.identity.tables import projects as projects_table

# --- schemas -------------------------------------------------------------------
FILTERS = schemas.obj({"interface": INTERFACE, "service_id": {"type": "string"},
                       "region_id": {"type": ["string", "null"]}, "enabled": {"type": "boolean"}})
_PROPS = {"description": {"type": ["string", "null"]}, "filters": FILTERS,
          "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}}
CREATE = schemas.wrap("endpoint_group", schemas.obj(_PROPS, ["name", "filters"], additional=False))
UPDATE = schemas.wrap("endpoint_group", schemas.obj(_PROPS, additional=False, minProperties=1))
_VALID_FILTERS = ("service_id", "region_id", "interface")
BASE = "/v3/OS-EP-FILTER"


# --- views -----------------------------------------------------------------------
def render_group(ctx: Context, row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "description": row["description"], "filters": row["filters"],
            "links": links.entity(ctx, f"OS-EP-FILTER/endpoint_groups/{row['id']}")}


def render_membership(ctx: Context, group_id: str, project_id: str) -> dict[str, Any]:
    return {"endpoint_group_id": group_id, "project_id": project_id,
            "links": links.entity(ctx, f"OS-EP-FILTER/endpoint_groups/{group_id}/projects/{project_id}")}


# --- logic ------------------------------------------------------------------------
def get_group(conn: Connection, group_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(endpoint_groups).where(endpoint_groups.c.id == group_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find Endpoint Group: {group_id}.")
    return dict(row)


def _check_filters(spec: dict[str, Any]) -> None:
    if any(key not in _VALID_FILTERS for key in spec.get("filters") or {}):
        raise BadRequest("Expecting to find service_id or region_id or interface in endpoint_group. The server "
                         "could not comply with the request since it is either malformed or otherwise incorrect. "
                         "The client is assumed to be in error.")


def _associate(conn: Connection, table: sa.Table, values: dict[str, str], what: str) -> None:
    clauses = [table.c[k] == v for k, v in values.items()]
    if conn.execute(sa.select(*table.c).where(*clauses)).first():
        raise Conflict(f"Conflict occurred attempting to store {what} - Duplicate entry.")
    conn.execute(table.insert().values(**values))


def _dissociate(conn: Connection, table: sa.Table, values: dict[str, str], message: str) -> None:
    if conn.execute(table.delete().where(*[table.c[k] == v for k, v in values.items()])).rowcount == 0:
        raise NotFound(message)


def _project_rows(conn: Connection, ids: list[str]) -> list[Any]:
    return list(conn.execute(sa.select(projects_table).where(projects_table.c.id.in_(ids))
                             .order_by(projects_table.c.name)).mappings().all())


def _endpoint_rows(conn: Connection, ids: set[str] | list[str]) -> list[Any]:
    return list(conn.execute(sa.select(endpoints).where(endpoints.c.id.in_(list(ids)))
                             .order_by(endpoints.c.id)).mappings().all())


# --- routes: endpoint groups -----------------------------------------------------------
def list_endpoint_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(endpoint_groups).where(*attribute_filters(endpoint_groups, rq.query, {"name"}))
                            .order_by(endpoint_groups.c.name)).mappings().all()
    return {"endpoint_groups": [render_group(ctx, r) for r in rows],
            "links": links.collection(ctx, "OS-EP-FILTER/endpoint_groups", str(rq.query))}


def create_endpoint_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spec = rq.body["endpoint_group"]
    if not spec["filters"]:                   # only on create: a PATCH changes the fields it names
        raise BadRequest("filters field is required and cannot be empty")
    _check_filters(spec)
    row = {"id": new_id(), "name": spec["name"], "description": spec.get("description"), "filters": spec["filters"]}
    with db.session() as conn:
        conn.execute(endpoint_groups.insert().values(**row))
    return {"endpoint_group": render_group(ctx, row)}


def show_endpoint_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"endpoint_group": render_group(ctx, get_group(conn, rq.params["endpoint_group_id"]))}


def update_endpoint_group(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    changes, group_id = rq.body["endpoint_group"], rq.params["endpoint_group_id"]
    _check_filters(changes)
    with db.session() as conn:
        get_group(conn, group_id)
        conn.execute(endpoint_groups.update().where(endpoint_groups.c.id == group_id).values(**changes))
        return {"endpoint_group": render_group(ctx, get_group(conn, group_id))}


def delete_endpoint_group(ctx: Context, rq: ApiRequest) -> None:
    group_id = rq.params["endpoint_group_id"]
    with db.session() as conn:
        get_group(conn, group_id)
        conn.execute(project_endpoint_groups.delete().where(project_endpoint_groups.c.endpoint_group_id == group_id))
        conn.execute(endpoint_groups.delete().where(endpoint_groups.c.id == group_id))


def list_group_endpoints(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        group = get_group(conn, rq.params["endpoint_group_id"])
        rows = _endpoint_rows(conn, group_endpoint_ids(conn, group["filters"]))
    return {"endpoints": [render_endpoint(ctx, r) for r in rows], "links": links.collection(ctx, "endpoints")}


def list_group_projects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        group = get_group(conn, rq.params["endpoint_group_id"])
        ids = conn.execute(sa.select(project_endpoint_groups.c.project_id)
                           .where(project_endpoint_groups.c.endpoint_group_id == group["id"])).scalars().all()
        return {"projects": [projects.render_project(conn, ctx, r) for r in _project_rows(conn, list(ids))],
                "links": links.collection(ctx, "projects")}


# --- routes: project associations --------------------------------------------------------
def _group_and_project(conn: Connection, rq: ApiRequest) -> dict[str, str]:
    projects.get_project(conn, rq.params["project_id"])
    get_group(conn, rq.params["endpoint_group_id"])
    return {"endpoint_group_id": rq.params["endpoint_group_id"], "project_id": rq.params["project_id"]}


def show_group_in_project(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        key = _group_and_project(conn, rq)
        clauses = [project_endpoint_groups.c[k] == v for k, v in key.items()]
        if not conn.execute(sa.select(*project_endpoint_groups.c).where(*clauses)).first():
            raise NotFound("Endpoint Group Project Association not found")
    return {"project_endpoint_group": render_membership(ctx, key["endpoint_group_id"], key["project_id"])}


def add_group_to_project(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        _associate(conn, project_endpoint_groups, _group_and_project(conn, rq), "project_endpoint_group")


def remove_group_from_project(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        _dissociate(conn, project_endpoint_groups, _group_and_project(conn, rq),
                    "Endpoint Group Project Association not found")


def list_project_groups(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        projects.get_project(conn, rq.params["project_id"])
        rows = conn.execute(sa.select(endpoint_groups).select_from(endpoint_groups.join(
            project_endpoint_groups, project_endpoint_groups.c.endpoint_group_id == endpoint_groups.c.id))
            .where(project_endpoint_groups.c.project_id == rq.params["project_id"])).mappings().all()
    return {"endpoint_groups": [render_group(ctx, r) for r in rows],
            "links": links.collection(ctx, "OS-EP-FILTER/endpoint_groups")}


def _endpoint_and_project(conn: Connection, rq: ApiRequest) -> dict[str, str]:
    get_endpoint(conn, rq.params["endpoint_id"])
    projects.get_project(conn, rq.params["project_id"])
    return {"project_id": rq.params["project_id"], "endpoint_id": rq.params["endpoint_id"]}


def check_endpoint_in_project(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        key = _endpoint_and_project(conn, rq)
        if not conn.execute(sa.select(*project_endpoints.c).where(
                *[project_endpoints.c[k] == v for k, v in key.items()])).first():
            raise NotFound(f"Endpoint {key['endpoint_id']} not found in project {key['project_id']}")


def add_endpoint_to_project(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        _associate(conn, project_endpoints, _endpoint_and_project(conn, rq), "project_endpoint")


def remove_endpoint_from_project(ctx: Context, rq: ApiRequest) -> None:
    key = {"project_id": rq.params["project_id"], "endpoint_id": rq.params["endpoint_id"]}
    with db.session() as conn:
        _dissociate(conn, project_endpoints, key,
                    f"Endpoint {key['endpoint_id']} not found in project {key['project_id']}")


def list_project_endpoints(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        projects.get_project(conn, rq.params["project_id"])
        rows = _endpoint_rows(conn, project_endpoint_ids(conn, rq.params["project_id"]))
    return {"endpoints": [render_endpoint(ctx, r) for r in rows], "links": links.collection(ctx, "endpoints")}


def list_endpoint_projects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        get_endpoint(conn, rq.params["endpoint_id"])
        ids = conn.execute(sa.select(project_endpoints.c.project_id)
                           .where(project_endpoints.c.endpoint_id == rq.params["endpoint_id"])).scalars().all()
        return {"projects": [projects.render_project(conn, ctx, r) for r in _project_rows(conn, list(ids))],
                "links": links.collection(ctx, "projects")}


_G = BASE + "/endpoint_groups/{endpoint_group_id}"
_PE = BASE + "/projects/{project_id}/endpoints/{endpoint_id}"
ROUTES = [
    route("GET", BASE + "/endpoint_groups", list_endpoint_groups, policy="identity:list_endpoint_groups"),
    route("POST", BASE + "/endpoint_groups", create_endpoint_group, policy="identity:create_endpoint_group",
          body=CREATE, status=201),
    route("GET", _G, show_endpoint_group, policy="identity:get_endpoint_group"),
    route("PATCH", _G, update_endpoint_group, policy="identity:update_endpoint_group", body=UPDATE),
    route("DELETE", _G, delete_endpoint_group, policy="identity:delete_endpoint_group", status=204),
    route("GET", _G + "/endpoints", list_group_endpoints,
          policy="identity:list_endpoints_associated_with_endpoint_group"),
    route("GET", _G + "/projects", list_group_projects, policy="identity:list_projects_associated_with_endpoint_group"),
    route("GET", _G + "/projects/{project_id}", show_group_in_project, policy="identity:get_endpoint_group_in_project"),
    route("PUT", _G + "/projects/{project_id}", add_group_to_project, policy="identity:add_endpoint_group_to_project",
          status=204),
    route("DELETE", _G + "/projects/{project_id}", remove_group_from_project,
          policy="identity:remove_endpoint_group_from_project", status=204),
    route("GET", BASE + "/projects/{project_id}/endpoint_groups", list_project_groups,
          policy="identity:list_endpoint_groups_for_project"),
    route("GET", BASE + "/projects/{project_id}/endpoints", list_project_endpoints,
          policy="identity:list_endpoints_for_project"),
    route("GET", _PE, check_endpoint_in_project, policy="identity:check_endpoint_in_project", status=204),
    route("PUT", _PE, add_endpoint_to_project, policy="identity:add_endpoint_to_project", status=204),
    route("DELETE", _PE, remove_endpoint_from_project, policy="identity:remove_endpoint_from_project", status=204),
    route("GET", BASE + "/endpoints/{endpoint_id}/projects", list_endpoint_projects,
          policy="identity:list_projects_for_endpoint"),
]
