"""Metadata definitions: namespaces, resource types and their associations (api-ref: image,
Metadata definition namespaces; Metadata definition resource types)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, metadef_schemas, metadefs_objects
from pocketstack.services.image.metadef_access import (
    NS, associations, authorize, compact, load, namespace_target, paging, protect, render_association, target,
    visible)
from pocketstack.services.image.tables import (
    metadef_associations, metadef_namespaces, metadef_objects, metadef_properties, metadef_resource_types,
    metadef_tags)

# the resource types Glance's shipped definitions (glance-manage db_load_metadefs) associate with
SEEDED_RESOURCE_TYPES = ("OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor", "OS::Nova::Aggregate",
                         "OS::Nova::Server", "OS::Trove::Instance")


# --- views ---------------------------------------------------------------------------
def render_namespace(conn: Connection, ns: dict[str, Any], *, detail: bool) -> dict[str, Any]:
    view = compact({"namespace": ns["namespace"], "display_name": ns["display_name"],
                    "description": ns["description"], "visibility": ns["visibility"], "protected": ns["protected"],
                    "owner": ns["owner"], "created_at": isotime(ns["created_at"]),
                    "updated_at": isotime(ns["updated_at"] or ns["created_at"]),
                    "self": f"{NS}/{ns['namespace']}", "schema": "/v2/schemas/metadefs/namespace"})
    rts = associations(conn, ns["id"])
    if rts:
        view["resource_type_associations"] = rts
    if detail:
        for key, value in metadefs_objects.contents(conn, ns).items():
            if value:
                view[key] = value
    return view


# --- logic ---------------------------------------------------------------------------
def resource_type_id(conn: Connection, name: str, *, create: bool) -> str | None:
    found = conn.execute(sa.select(metadef_resource_types.c.id).where(metadef_resource_types.c.name == name)).scalar()
    if found is None and create:
        found = new_uuid()
        conn.execute(metadef_resource_types.insert().values(id=found, name=name, protected=False,
                                                            created_at=utcnow()))
    return found


def associate(conn: Connection, ns: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    rt_id = resource_type_id(conn, body["name"], create=True)
    if conn.execute(sa.select(metadef_associations.c.namespace_id).where(
            metadef_associations.c.namespace_id == ns["id"], metadef_associations.c.resource_type_id == rt_id)).first():
        raise Conflict(f"The metadata definition resource-type association of resource-type={body['name']} to "
                       f"namespace={ns['namespace']}, already exists.")
    row = {"namespace_id": ns["id"], "resource_type_id": rt_id, "prefix": body.get("prefix"),
           "properties_target": body.get("properties_target"), "created_at": utcnow(), "updated_at": None}
    conn.execute(metadef_associations.insert().values(**row))
    return render_association({**row, "name": body["name"]})


def create_namespace_row(conn: Connection, ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    for key, rule in (("resource_type_associations", "add_metadef_resource_type_association"),
                      ("objects", "add_metadef_object"), ("properties", "add_metadef_property"),
                      ("tags", "add_metadef_tag")):
        if body.get(key):
            access.enforce(ctx, rule, {"project_id": ctx.project_id})
    name = body["namespace"]
    if conn.execute(sa.select(metadef_namespaces.c.id).where(metadef_namespaces.c.namespace == name)).first():
        raise Conflict(f"The metadata definition namespace={name} already exists.")
    ns = {"id": new_uuid(), "namespace": name, "display_name": body.get("display_name"),
          "description": body.get("description"), "visibility": body.get("visibility") or "private",
          "protected": bool(body.get("protected", False)), "owner": body.get("owner", ctx.project_id),
          "created_at": utcnow(), "updated_at": None}
    conn.execute(metadef_namespaces.insert().values(**ns))
    for rt in body.get("resource_type_associations") or []:
        if not rt.get("name"):
            raise BadRequest("Couldn't create metadata namespace: resource type association needs a name")
        associate(conn, ns, rt)
    for obj in body.get("objects") or []:
        metadefs_objects.add_object(conn, ns, obj)
    for prop_name, prop in (body.get("properties") or {}).items():
        metadefs_objects.add_property(conn, ns, {**prop, "name": prop_name})
    for tag in body.get("tags") or []:
        metadefs_objects.add_tag(conn, ns, tag.get("name"))
    return ns


def update_namespace_row(conn: Connection, ctx: Context, ns: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    name = body["namespace"]
    if name != ns["namespace"] and conn.execute(sa.select(metadef_namespaces.c.id).where(
            metadef_namespaces.c.namespace == name)).first():
        raise Conflict("Invalid update. It would result in a duplicate metadata definition namespace with the "
                       f"same name of {name}")
    values = {"namespace": name, "display_name": body.get("display_name"), "description": body.get("description"),
              "visibility": body.get("visibility") or "private", "protected": bool(body.get("protected") or False),
              "owner": body.get("owner") or ctx.project_id, "updated_at": utcnow()}
    conn.execute(metadef_namespaces.update().where(metadef_namespaces.c.id == ns["id"]).values(**values))
    return {**ns, **values}


def list_namespace_rows(conn: Connection, ctx: Context, query: Any) -> tuple[list[dict[str, Any]], str | None]:
    limit, sort_dir, sort_key = paging(query, [c for c in metadef_namespaces.c.keys() if c != "id"])
    stmt = sa.select(metadef_namespaces)
    visibility = query.get("visibility")
    if visibility:
        if visibility not in ("public", "private"):
            raise BadRequest(f"Invalid visibility value: {visibility}")
        stmt = stmt.where(metadef_namespaces.c.visibility == visibility)
    if query.get("resource_types"):
        stmt = stmt.where(metadef_namespaces.c.id.in_(
            sa.select(metadef_associations.c.namespace_id).join(
                metadef_resource_types, metadef_resource_types.c.id == metadef_associations.c.resource_type_id)
            .where(metadef_resource_types.c.name.in_(query["resource_types"].split(",")))))
    order = [metadef_namespaces.c[sort_key], metadef_namespaces.c.created_at, metadef_namespaces.c.id]
    stmt = stmt.order_by(*[c.desc() if sort_dir == "desc" else c.asc() for c in dict.fromkeys(order)])
    rows = [dict(r) for r in conn.execute(stmt).mappings() if visible(ctx, dict(r))]
    marker = query.get("marker")
    if marker is not None:
        names = [r["namespace"] for r in rows]
        if marker not in names:
            raise NotFound(f"Metadata definition namespace={marker} was not found.")
        rows = rows[names.index(marker) + 1:]
    page = [r for r in rows if access.check(ctx, "get_metadef_namespace", target(r))][:limit]
    return page, (page[-1]["namespace"] if page and len(page) == limit else None)


# --- routes: namespaces ----------------------------------------------------------------
def list_namespaces(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    access.enforce(ctx, "list_metadef_resource_types", {"project_id": ctx.project_id})
    with db.reader() as conn:
        rows, next_marker = list_namespace_rows(conn, ctx, rq.query)
        body: dict[str, Any] = {"namespaces": [render_namespace(conn, r, detail=False) for r in rows]}
    params = [(k, v) for k, v in rq.query.multi_items() if k != "marker"]
    body["first"] = NS + (f"?{urlencode(params)}" if params else "")
    body["schema"] = "/v2/schemas/metadefs/namespaces"
    if next_marker:
        body["next"] = f"{NS}?{urlencode([*params, ('marker', next_marker)])}"
    return body


def create_namespace(ctx: Context, rq: ApiRequest) -> Any:
    body = metadef_schemas.check(metadef_schemas.NAMESPACE, rq.body)
    with db.session() as conn:
        ns = create_namespace_row(conn, ctx, body)
        view = render_namespace(conn, ns, detail=True)
    return json_response(201, view, {"Location": f"{NS}/{ns['namespace']}"})


def show_namespace(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        for rule in ("list_metadef_resource_types", "get_metadef_objects", "get_metadef_properties",
                     "get_metadef_tags"):
            authorize(ctx, rule, ns)
        view = render_namespace(conn, ns, detail=True)
    prefix = _prefix_for(view, rq.query.get("resource_type"))
    if prefix:
        view["properties"] = {prefix + k: v for k, v in (view.get("properties") or {}).items()} or None
        for obj in view.get("objects") or []:
            obj["properties"] = {prefix + k: v for k, v in (obj.get("properties") or {}).items()}
            if obj.get("required"):
                obj["required"] = [prefix + n for n in obj["required"]]
    return compact(view)


def _prefix_for(view: dict[str, Any], resource_type: str | None) -> str | None:
    for rt in view.get("resource_type_associations") or []:
        if resource_type and rt["name"] == resource_type:
            return rt.get("prefix")
    return None


def update_namespace(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = metadef_schemas.check(metadef_schemas.NAMESPACE, rq.body)
    with db.session() as conn:
        ns = update_namespace_row(conn, ctx, load(conn, ctx, rq.params["namespace"]), body)
        return render_namespace(conn, ns, detail=False)


def delete_namespace(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        protect(ns, "namespace", ns["namespace"])
        conn.execute(metadef_namespaces.delete().where(metadef_namespaces.c.id == ns["id"]))


def delete_contents(table: sa.Table, extra_rule: str | None = None) -> Any:
    """DELETE /namespaces/{ns}/objects|properties|tags: everything of one kind in the namespace."""
    def handler(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            ns = load(conn, ctx, rq.params["namespace"])
            if extra_rule:
                authorize(ctx, extra_rule, ns)
            protect(ns, "namespace", ns["namespace"])
            conn.execute(table.delete().where(table.c.namespace_id == ns["id"]))
    return handler


# --- routes: resource types ----------------------------------------------------------
def list_resource_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(metadef_resource_types).order_by(
            metadef_resource_types.c.created_at, metadef_resource_types.c.name)).mappings().all()
    return {"resource_types": [compact({"name": r["name"], "created_at": isotime(r["created_at"]),
                                        "updated_at": isotime(r["updated_at"])}) for r in rows]}


def list_associations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        allowed = access.check(ctx, "get_metadef_resource_type", target(ns))
        return {"resource_type_associations": associations(conn, ns["id"]) if allowed else []}


def create_association(ctx: Context, rq: ApiRequest) -> Any:
    body = metadef_schemas.check(metadef_schemas.RESOURCE_TYPE, rq.body, ("created_at", "updated_at"))
    with db.session() as conn:
        view = associate(conn, load(conn, ctx, rq.params["namespace"]), body)
    return json_response(201, view)


def delete_association(ctx: Context, rq: ApiRequest) -> None:
    name = rq.params["resource_type"]
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        rt_id = resource_type_id(conn, name, create=False)
        gone = None
        if rt_id is not None:
            protect(ns, "resource-type-association", name)
            gone = conn.execute(metadef_associations.delete().where(
                metadef_associations.c.namespace_id == ns["id"], metadef_associations.c.resource_type_id == rt_id))
        if gone is None or gone.rowcount == 0:
            raise NotFound(f"Failed to find resource type {name} to delete")


def seed(conn: Connection) -> None:
    now = utcnow()
    conn.execute(metadef_resource_types.insert(), [
        {"id": new_uuid(), "name": n, "protected": True, "created_at": now} for n in SEEDED_RESOURCE_TYPES])


ONE = NS + "/{namespace}"
ROUTES = [
    route("GET", NS, list_namespaces, policy="get_metadef_namespaces"),
    route("POST", NS, create_namespace, policy="add_metadef_namespace", status=201),
    route("GET", ONE, show_namespace, policy="get_metadef_namespace", target=namespace_target),
    route("PUT", ONE, update_namespace, policy="modify_metadef_namespace", target=namespace_target),
    route("DELETE", ONE, delete_namespace, policy="delete_metadef_namespace", target=namespace_target, status=204),
    route("DELETE", ONE + "/objects", delete_contents(metadef_objects), policy="delete_metadef_namespace",
          target=namespace_target, status=204),
    route("DELETE", ONE + "/properties", delete_contents(metadef_properties), policy="delete_metadef_namespace",
          target=namespace_target, status=204),
    route("DELETE", ONE + "/tags", delete_contents(metadef_tags, "delete_metadef_tags"),
          policy="delete_metadef_namespace", target=namespace_target, status=204),
    route("GET", "/v2/metadefs/resource_types", list_resource_types, policy="list_metadef_resource_types"),
    route("GET", ONE + "/resource_types", list_associations, policy="list_metadef_resource_types",
          target=namespace_target),
    route("POST", ONE + "/resource_types", create_association, policy="add_metadef_resource_type_association",
          target=namespace_target, status=201),
    route("DELETE", ONE + "/resource_types/{resource_type}", delete_association,
          policy="remove_metadef_resource_type_association", target=namespace_target, status=204),
]
