"""What a metadata definition namespace holds: objects, properties and tags (api-ref: image,
Metadata definition objects; Metadata definition properties; Metadata definition tags)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import metadef_schemas
from pocketstack.services.image.metadef_access import (NS, associations, compact, load, namespace_target, paging,
                                                         protect)
from pocketstack.services.image.tables import metadef_objects, metadef_properties, metadef_tags

# the attributes of Glance's PropertyType model: what a stored property keeps
PROPERTY_KEYS = ("type", "title", "description", "operators", "default", "readonly", "minimum", "maximum", "enum",
                 "pattern", "minLength", "maxLength", "confidential", "items", "uniqueItems", "minItems",
                 "maxItems", "additionalItems")


def clean_property(prop: dict[str, Any]) -> dict[str, Any]:
    kept = {k: prop[k] for k in PROPERTY_KEYS if prop.get(k) is not None}
    if isinstance(kept.get("items"), dict):
        kept["items"] = {k: v for k, v in kept["items"].items() if k in ("type", "enum") and v is not None}
    return kept


# --- lookups -------------------------------------------------------------------------
def _row(conn: Connection, table: sa.Table, ns: dict[str, Any], name: str) -> dict[str, Any] | None:
    found = conn.execute(sa.select(table).where(table.c.namespace_id == ns["id"], table.c.name == name)).mappings()
    row = found.first()
    return dict(row) if row else None


def _exists(conn: Connection, table: sa.Table, ns: dict[str, Any], name: str, *, fold: bool = False) -> bool:
    col = sa.func.lower(table.c.name) if fold else table.c.name
    return conn.execute(sa.select(table.c.id).where(table.c.namespace_id == ns["id"],
                                                    col == (name.lower() if fold else name))).first() is not None


def get_object(conn: Connection, ns: dict[str, Any], name: str) -> dict[str, Any]:
    row = _row(conn, metadef_objects, ns, name)
    if row is None:
        raise NotFound(f"The metadata definition object with name={name} was not found in "
                       f"namespace={ns['namespace']}.")
    return row


def get_property(conn: Connection, ns: dict[str, Any], name: str) -> dict[str, Any]:
    row = _row(conn, metadef_properties, ns, name)
    if row is None:
        raise NotFound(f"The metadata definition property with name={name} was not found in "
                       f"namespace={ns['namespace']}.")
    return row


def get_tag(conn: Connection, ns: dict[str, Any], name: str) -> dict[str, Any]:
    row = _row(conn, metadef_tags, ns, name)
    if row is None:
        raise NotFound(f"The metadata definition tag with name={name} was not found in "
                       f"namespace={ns['namespace']}.")
    return row


# --- views ---------------------------------------------------------------------------
def render_object(ns_name: str, row: dict[str, Any]) -> dict[str, Any]:
    return compact({"name": row["name"], "description": row["description"], "required": row["required"] or None,
                    "properties": row["properties"] or {}, "created_at": isotime(row["created_at"]),
                    "updated_at": isotime(row["updated_at"] or row["created_at"]),
                    "self": f"{NS}/{ns_name}/objects/{row['name']}", "schema": "/v2/schemas/metadefs/object"})


def render_property(row: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {"name": name or row["name"], **row["schema"]}


def render_tag(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "created_at": isotime(row["created_at"]),
            "updated_at": isotime(row["updated_at"] or row["created_at"])}


def _all(conn: Connection, table: sa.Table, ns: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(table).where(table.c.namespace_id == ns["id"]).order_by(
        table.c.created_at, table.c.name)).mappings()]


def contents(conn: Connection, ns: dict[str, Any]) -> dict[str, Any]:
    return {"objects": [render_object(ns["namespace"], r) for r in _all(conn, metadef_objects, ns)],
            "properties": {r["name"]: r["schema"] for r in _all(conn, metadef_properties, ns)},
            "tags": [{"name": r["name"]} for r in _all(conn, metadef_tags, ns)]}


# --- logic ---------------------------------------------------------------------------
def _check_properties(props: Any) -> dict[str, Any]:
    out = {}
    for name, prop in (props or {}).items():
        metadef_schemas.check(metadef_schemas.PROPERTY_NO_NAME, prop, ())
        out[name] = clean_property(prop)
    return out


def add_object(conn: Connection, ns: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("name")
    if not name:
        raise BadRequest("Couldn't create metadata object: name is required")
    if _exists(conn, metadef_objects, ns, name):
        raise Conflict(f"A metadata definition object with name={name} already exists in "
                       f"namespace={ns['namespace']}.")
    row = {"id": new_uuid(), "namespace_id": ns["id"], "name": name, "description": body.get("description"),
           "required": body.get("required"), "properties": _check_properties(body.get("properties")),
           "created_at": utcnow(), "updated_at": None}
    conn.execute(metadef_objects.insert().values(**row))
    return row


def add_property(conn: Connection, ns: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    name = body["name"]
    if _exists(conn, metadef_properties, ns, name):
        raise Conflict(f"A metadata definition property with name={name} already exists in "
                       f"namespace={ns['namespace']}.")
    row = {"id": new_uuid(), "namespace_id": ns["id"], "name": name, "schema": clean_property(body),
           "created_at": utcnow(), "updated_at": None}
    conn.execute(metadef_properties.insert().values(**row))
    return row


def add_tag(conn: Connection, ns: dict[str, Any], name: Any) -> dict[str, Any]:
    metadef_schemas.check(metadef_schemas.TAG, {"name": name}, ())
    if _exists(conn, metadef_tags, ns, name, fold=True):
        raise Conflict(f"A metadata tag with name={name} already exists in namespace={ns['namespace']}. (Please "
                       "note that metadata tag names are case insensitive).")
    row = {"id": new_uuid(), "namespace_id": ns["id"], "name": name, "created_at": utcnow(), "updated_at": None}
    conn.execute(metadef_tags.insert().values(**row))
    return row


def _rename(conn: Connection, table: sa.Table, ns: dict[str, Any], row: dict[str, Any], new_name: str,
            what: str, **values: Any) -> dict[str, Any]:
    fold = table is metadef_tags
    if new_name != row["name"] and _exists(conn, table, ns, new_name, fold=fold):
        raise Conflict(f"A metadata definition {what} with name={new_name} already exists in "
                       f"namespace={ns['namespace']}.")
    values.update(name=new_name, updated_at=utcnow())
    conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
    return {**row, **values}


def _page(query: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """limit/marker/sort_dir over a namespace's rows (by name), as Glance's tag and object lists."""
    limit, sort_dir, sort_key = paging(query, ("created_at", "updated_at", "name"))
    rows = sorted(rows, key=lambda r: (r[sort_key] or r["created_at"], r["name"]), reverse=sort_dir == "desc")
    marker = query.get("marker")
    if marker is not None:
        names = [r["name"] for r in rows]
        if marker not in names:
            raise NotFound(f"Marker {marker} not found")
        rows = rows[names.index(marker) + 1:]
    return rows[:limit]


# --- routes: objects -----------------------------------------------------------------
def list_objects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        rows = _page(rq.query, _all(conn, metadef_objects, ns))
    return {"objects": [render_object(ns["namespace"], r) for r in rows], "schema": "v2/schemas/metadefs/objects"}


def create_object(ctx: Context, rq: ApiRequest) -> Any:
    body = metadef_schemas.check(metadef_schemas.OBJECT, rq.body)
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        view = render_object(ns["namespace"], add_object(conn, ns, body))
    return json_response(201, view)


def show_object(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        return render_object(ns["namespace"], get_object(conn, ns, rq.params["object_name"]))


def update_object(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = metadef_schemas.check(metadef_schemas.OBJECT, rq.body)
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_object(conn, ns, rq.params["object_name"])
        row = _rename(conn, metadef_objects, ns, row, body["name"], "object", description=body.get("description"),
                      required=body.get("required"), properties=_check_properties(body.get("properties")))
        return render_object(ns["namespace"], row)


def delete_object(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_object(conn, ns, rq.params["object_name"])
        protect(ns, "object", row["name"])
        conn.execute(metadef_objects.delete().where(metadef_objects.c.id == row["id"]))


# --- routes: properties --------------------------------------------------------------
def list_properties(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        return {"properties": {r["name"]: r["schema"] for r in _all(conn, metadef_properties, ns)}}


def create_property(ctx: Context, rq: ApiRequest) -> Any:
    body = metadef_schemas.check(metadef_schemas.PROPERTY, rq.body, ("created_at", "updated_at"))
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        view = render_property(add_property(conn, ns, body))
    return json_response(201, view)


def show_property(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    name = rq.params["property_name"]
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        resource_type = rq.query.get("resource_type")
        if resource_type:
            match = [a for a in associations(conn, ns["id"]) if a["name"] == resource_type]
            if not match:
                raise NotFound(f"The metadata definition resource-type association of "
                               f"resource-type={resource_type} to namespace={ns['namespace']}, was not found.")
            prefix = match[0].get("prefix")
            if not prefix or not name.startswith(prefix):
                raise NotFound(f"Property {name} does not start with the expected resource type association "
                               f"prefix of '{prefix}'.")
            name = name[len(prefix):]
        return render_property(get_property(conn, ns, name))


def update_property(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = metadef_schemas.check(metadef_schemas.PROPERTY, rq.body, ("created_at", "updated_at"))
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_property(conn, ns, rq.params["property_name"])
        return render_property(_rename(conn, metadef_properties, ns, row, body["name"], "property",
                                       schema=clean_property(body)))


def delete_property(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_property(conn, ns, rq.params["property_name"])
        protect(ns, "property", row["name"])
        conn.execute(metadef_properties.delete().where(metadef_properties.c.id == row["id"]))


# --- routes: tags --------------------------------------------------------------------
def list_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        rows = _page(rq.query, _all(conn, metadef_tags, ns))
    return {"tags": [{"name": r["name"]} for r in rows]}


def create_tags(ctx: Context, rq: ApiRequest) -> Any:
    body = metadef_schemas.check(metadef_schemas.TAGS_BODY, rq.body, ("created_at", "updated_at"))
    names = [t["name"] for t in body.get("tags") or []]
    append = rq.headers.get("x-openstack-append", "").strip().lower() in ("1", "t", "true", "on", "y", "yes")
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        if len({n.lower() for n in names}) != len(names):
            raise Conflict(f"A metadata tag with name={names[0]} already exists in namespace={ns['namespace']}. "
                           "(Please note that metadata tag names are case insensitive).")
        if not append:
            conn.execute(metadef_tags.delete().where(metadef_tags.c.namespace_id == ns["id"]))
        for name in names:
            add_tag(conn, ns, name)
    return json_response(201, {"tags": [{"name": n} for n in names]})


def create_tag(ctx: Context, rq: ApiRequest) -> Any:
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        view = render_tag(add_tag(conn, ns, rq.params["tag_name"]))
    return json_response(201, view)


def show_tag(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        return render_tag(get_tag(conn, ns, rq.params["tag_name"]))


def update_tag(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = metadef_schemas.check(metadef_schemas.TAG, rq.body, ("created_at", "updated_at"))
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_tag(conn, ns, rq.params["tag_name"])
        return render_tag(_rename(conn, metadef_tags, ns, row, body["name"], "tag"))


def delete_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        ns = load(conn, ctx, rq.params["namespace"])
        row = get_tag(conn, ns, rq.params["tag_name"])
        protect(ns, "tag", row["name"])
        conn.execute(metadef_tags.delete().where(metadef_tags.c.id == row["id"]))


ONE = NS + "/{namespace}"
ROUTES = [
    route("GET", ONE + "/objects", list_objects, policy="get_metadef_objects", target=namespace_target),
    route("POST", ONE + "/objects", create_object, policy="add_metadef_object", target=namespace_target,
          status=201),
    route("GET", ONE + "/objects/{object_name}", show_object, policy="get_metadef_object", target=namespace_target),
    route("PUT", ONE + "/objects/{object_name}", update_object, policy="modify_metadef_object",
          target=namespace_target),
    route("DELETE", ONE + "/objects/{object_name}", delete_object, policy="delete_metadef_object",
          target=namespace_target, status=204),
    route("GET", ONE + "/properties", list_properties, policy="get_metadef_properties", target=namespace_target),
    route("POST", ONE + "/properties", create_property, policy="add_metadef_property", target=namespace_target,
          status=201),
    route("GET", ONE + "/properties/{property_name}", show_property, policy="get_metadef_property",
          target=namespace_target),
    route("PUT", ONE + "/properties/{property_name}", update_property, policy="modify_metadef_property",
          target=namespace_target),
    route("DELETE", ONE + "/properties/{property_name}", delete_property, policy="remove_metadef_property",
          target=namespace_target, status=204),
    route("GET", ONE + "/tags", list_tags, policy="get_metadef_tags", target=namespace_target),
    route("POST", ONE + "/tags", create_tags, policy="add_metadef_tags", target=namespace_target, status=201),
    route("GET", ONE + "/tags/{tag_name}", show_tag, policy="get_metadef_tag", target=namespace_target),
    route("POST", ONE + "/tags/{tag_name}", create_tag, policy="add_metadef_tag", target=namespace_target,
          status=201),
    route("PUT", ONE + "/tags/{tag_name}", update_tag, policy="modify_metadef_tag", target=namespace_target),
    route("DELETE", ONE + "/tags/{tag_name}", delete_tag, policy="delete_metadef_tag", target=namespace_target,
          status=204),
]
