"""Stack resources and events: /v1/{tenant_id}/stacks/{name}/{id}/resources, /events (api-ref:
orchestration, Stack resources and Events; heat/api/openstack/v1/resources.py, events.py)."""

from __future__ import annotations

import hmac
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, jobs
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common
from pocketstack.services.orchestration.engine import operations
from pocketstack.services.orchestration.tables import events, resources, stacks


# --- views ---------------------------------------------------------------------
def _ident(ctx: Context, rq: ApiRequest, stack: Any, path: str = "") -> dict[str, Any]:
    return {"stack_name": stack["name"], "stack_id": stack["id"], "tenant": stack["project_id"], "path": path}


def render_resource(ctx: Context, rq: ApiRequest, stack: Any, r: Any, required_by: list[str],
                    detail: bool = False, children: dict[str, str] | None = None) -> dict[str, Any]:
    base = f"{common.base(ctx, rq)}/stacks/{stack['name']}/{stack['id']}"
    links = [{"href": f"{base}/resources/{r['name']}", "rel": "self"}, {"href": base, "rel": "stack"}]
    child = (children or {}).get(r["physical_resource_id"] or "")
    if child is not None:
        links.append({"href": f"{common.base(ctx, rq)}/stacks/{child}/{r['physical_resource_id']}",
                      "rel": "nested"})
    out = {"resource_name": r["name"], "logical_resource_id": r["name"], "resource_type": r["type"],
           "physical_resource_id": r["physical_resource_id"] or "", "resource_status":
           f"{r['action']}_{r['status']}", "resource_status_reason": r["status_reason"] or "",
           "creation_time": common.iso(r["created_at"]), "updated_time": common.iso(r["updated_at"] or
                                                                                    r["created_at"]),
           "required_by": required_by, "links": links, "stack_name": stack["name"], "stack_id": stack["id"],
           "parent_resource": stack["parent_resource"]}
    if detail:
        out.update({"description": "", "metadata": r["rsrc_metadata"] or {},
                    "attributes": {}, "properties": r["properties_data"] or {}})
    return out


def children_of(conn: Any, stack_ids: list[str]) -> dict[str, str]:
    """Nested stacks of these stacks: id -> name (for the resources' "nested" links)."""
    return dict(conn.execute(sa.select(stacks.c.id, stacks.c.name).where(stacks.c.owner_id.in_(stack_ids))).all())


# --- logic ---------------------------------------------------------------------
def _rows(conn: Any, stack_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(resources).where(
        resources.c.stack_id == stack_id, resources.c.replaced_by.is_(None)).order_by(resources.c.id)).mappings()]


def _required_by(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {r["name"]: [] for r in rows}
    for r in rows:
        for dep in r["requires"] or []:
            out.setdefault(dep, []).append(r["name"])
    return out


def _stack(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])


def _resource(conn: Any, stack: Any, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(resources).where(resources.c.stack_id == stack["id"], resources.c.name == name,
                                                  resources.c.replaced_by.is_(None))
                       .order_by(resources.c.id.desc())).mappings().first()
    if row is None:
        raise NotFound(f"The Resource ({name}) could not be found in Stack {stack['name']}.",
                       kind="ResourceNotFound")
    return dict(row)


def _nested_rows(conn: Any, stack: Any, depth: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = [(stack, r) for r in _rows(conn, stack["id"])]
    if depth <= 0:
        return out
    children = conn.execute(sa.select(stacks).where(stacks.c.owner_id == stack["id"],
                                                    stacks.c.deleted_at.is_(None))).mappings().all()
    for child in children:
        out.extend(_nested_rows(conn, dict(child), depth - 1))
    return out


# --- routes --------------------------------------------------------------------
def list_resources(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    try:
        depth = int(rq.query.get("nested_depth", 0))
    except ValueError:
        raise BadRequest("Only integer is acceptable by 'nested_depth'.", kind="HTTPBadRequest") from None
    detail = common.boolean(rq.query.get("with_detail", False), "with_detail")
    with db.reader() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        pairs = _nested_rows(conn, stack, depth)
        children = children_of(conn, list({p[0]["id"] for p in pairs}))
    by_stack: dict[str, dict[str, list[str]]] = {}
    out = []
    for owner, r in pairs:
        req = by_stack.setdefault(owner["id"], _required_by([p[1] for p in pairs if p[0]["id"] == owner["id"]]))
        if not _matches(rq, r):
            continue
        out.append(render_resource(ctx, rq, owner, r, req.get(r["name"], []), detail, children))
    return {"resources": out}


def _matches(rq: ApiRequest, r: dict[str, Any]) -> bool:
    checks = {"name": r["name"], "type": r["type"], "status": r["status"], "action": r["action"],
              "id": r["uuid"], "physical_resource_id": r["physical_resource_id"]}
    for key, value in checks.items():
        wanted = rq.query.getlist(key)
        if wanted and value not in wanted and f"{r['action']}_{r['status']}" not in wanted:
            return False
    return True


def show_resource(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stack = _stack(ctx, rq)
    with db.reader() as conn:
        rows = _rows(conn, stack["id"])
        row = _resource(conn, stack, rq.params["resource_name"])
        children = children_of(conn, [stack["id"]])
    body = render_resource(ctx, rq, stack, row, _required_by(rows).get(row["name"], []), True, children)
    scope = operations.read_scope(stack["id"])
    inst = scope.instance(row["name"]) if scope is not None else None
    if inst is not None and row["physical_resource_id"] is not None:
        wanted = rq.query.getlist("with_attr")
        names = [a for a in inst.all_attributes() if a != "show"] + wanted
        attrs: dict[str, Any] = {}
        for name in names:
            try:
                attrs[name] = scope.get_attr(row["name"], name, [])
            except Exception:  # noqa: BLE001 - an attribute that cannot be read shows as None
                attrs[name] = None
        body["attributes"] = attrs
    return {"resource": body}


def show_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stack = _stack(ctx, rq)
    with db.reader() as conn:
        return {"metadata": _resource(conn, stack, rq.params["resource_name"])["rsrc_metadata"] or {}}


def signal_resource(ctx: Context, rq: ApiRequest) -> None:
    _signal(_stack(ctx, rq), rq.params["resource_name"], rq.body)


def signal_presigned(ctx: Context, rq: ApiRequest) -> None:
    """POST /heat-api-cfn/v1/signal/{stack_id}/{resource_name}?signature=...: a server signals
    without a token, with the URL Heat handed it (CFN_SIGNAL, wait condition handles)."""
    if rq.service_prefix != "/heat-api-cfn":
        raise NotFound("The resource could not be found.")
    with db.reader() as conn:
        row = conn.execute(sa.select(stacks).where(stacks.c.id == rq.params["stack_id"],
                                                   stacks.c.deleted_at.is_(None))).mappings().first()
    if row is None:
        raise common.not_found(rq.params["stack_id"])
    stack = dict(row)
    wanted = operations.signal_signature(stack, rq.params["resource_name"])
    if not hmac.compare_digest(str(rq.query.get("signature") or ""), wanted):
        raise Forbidden("The request signature we calculated does not match the signature you provided.",
                        kind="SignatureError")
    _signal(stack, rq.params["resource_name"], rq.body)


def _signal(stack: dict[str, Any], name: str, details: Any) -> None:
    with db.reader() as conn:
        row = _resource(conn, stack, name)
    if isinstance(details, dict) and "unset_hook" in details:
        return _unset_hook(stack, row, details["unset_hook"])
    scope = operations.read_scope(stack["id"])
    inst = scope.instance(name) if scope is not None else None
    if inst is None or row["action"] == "INIT":
        raise BadRequest(f"Signal resource during {row['action']} is not supported.",
                         kind="ResourceActionNotSupported")
    try:
        inst.handle_signal(details)
    except Exception as exc:  # noqa: BLE001 - a refused signal is the caller's error
        raise BadRequest(str(exc), kind=getattr(exc, "type_name", "Error")) from None
    with db.session() as conn:
        conn.execute(resources.update().where(resources.c.id == row["id"]).values(data=inst.data))
        conn.execute(events.insert().values(**_signal_event(stack, row)))
    jobs._poke()


def _signal_event(stack: Any, row: Any) -> dict[str, Any]:
    from pocketstack.services.orchestration.engine.store import event_values
    return event_values(stack["id"], row["name"], row["physical_resource_id"], row["type"], row["action"],
                        row["status"], "Signal: signal received")


def _unset_hook(stack: Any, row: Any, hook: str) -> None:
    data = dict(row["data"] or {})
    paused = data.get("paused") or ""
    if not paused.endswith(":" + hook):
        raise BadRequest(f"The \"{hook}\" hook is not defined on {row['type']} \"{row['name']}\"",
                         kind="InvalidBreakPointHook")
    data["cleared"] = [*(data.get("cleared") or []), paused]
    data.pop("paused", None)
    with db.session() as conn:
        conn.execute(resources.update().where(resources.c.id == row["id"]).values(data=data))
        conn.execute(events.insert().values(**{**_signal_event(stack, row), "resource_status_reason":
                                               f"Hook {hook} is cleared"}))
    jobs._poke()


def mark_unhealthy(ctx: Context, rq: ApiRequest) -> None:
    stack = _stack(ctx, rq)
    body = rq.body if isinstance(rq.body, dict) else {}
    if "mark_unhealthy" not in body:
        raise BadRequest("Missing mandatory (mark_unhealthy) key from mark unhealthy request",
                         kind="HTTPBadRequest")
    unhealthy = common.boolean(body["mark_unhealthy"], "mark_unhealthy")
    reason = body.get("resource_status_reason") or ""
    with db.session() as conn:
        row = _resource(conn, stack, rq.params["resource_name"])
        if unhealthy:
            values = {"action": "CHECK", "status": "FAILED", "status_reason": reason}
        elif row["action"] == "CHECK" and row["status"] == "FAILED":
            values = {"action": "CHECK", "status": "COMPLETE", "status_reason": reason}
        else:
            return
        conn.execute(resources.update().where(resources.c.id == row["id"]).values(**values))
        from pocketstack.services.orchestration.engine.store import event_values
        conn.execute(events.insert().values(**event_values(stack["id"], row["name"], row["physical_resource_id"],
                                                           row["type"], values["action"], values["status"],
                                                           reason)))


def _render_event(ctx: Context, rq: ApiRequest, stack: Any, e: Any) -> dict[str, Any]:
    base = f"{common.base(ctx, rq)}/stacks/{stack['name']}/{stack['id']}"
    return {"id": e["uuid"], "event_time": common.iso(e["created_at"]), "resource_name": e["resource_name"],
            "logical_resource_id": e["resource_name"], "physical_resource_id": e["physical_resource_id"] or "",
            "resource_status": f"{e['resource_action']}_{e['resource_status']}",
            "resource_status_reason": e["resource_status_reason"] or "",
            "links": [{"href": f"{base}/resources/{e['resource_name']}/events/{e['uuid']}", "rel": "self"},
                      {"href": f"{base}/resources/{e['resource_name']}", "rel": "resource"},
                      {"href": base, "rel": "stack"}]}


def list_events(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    q = rq.query
    limit, depth = common.extract_int("limit", q.get("limit")), common.extract_int("nested_depth", q.get("nested_depth"))
    with db.reader() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        ids = [stack["id"]]
        if depth:
            ids += [p[0]["id"] for p in _nested_rows(conn, stack, depth)]
        stmt = sa.select(events).where(events.c.stack_id.in_(set(ids)))
        name = rq.params.get("resource_name")
        if name:
            if not conn.execute(sa.select(resources.c.id).where(resources.c.stack_id == stack["id"],
                                                                resources.c.name == name)).first() and \
                    not conn.execute(sa.select(events.c.id).where(events.c.stack_id == stack["id"],
                                                                  events.c.resource_name == name)).first():
                raise NotFound(f"The Resource ({name}) could not be found in Stack {stack['name']}.",
                               kind="ResourceNotFound")
            stmt = stmt.where(events.c.resource_name == name)
        for key, col in (("resource_name", events.c.resource_name), ("resource_type", events.c.resource_type),
                         ("resource_action", events.c.resource_action),
                         ("resource_status", events.c.resource_status)):
            if q.getlist(key):
                stmt = stmt.where(col.in_(q.getlist(key)))
        desc = q.get("sort_dir") == "desc"
        rows = [dict(e) for e in conn.execute(stmt.order_by(events.c.id.desc() if desc else events.c.id))
                .mappings()]
    if q.get("marker"):
        uuids = [e["uuid"] for e in rows]
        rows = rows[uuids.index(q["marker"]) + 1:] if q["marker"] in uuids else rows
    if limit is not None:
        rows = rows[:limit]
    return {"events": [_render_event(ctx, rq, stack, e) for e in rows]}


def show_event(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        stack = common.find_stack(conn, ctx, rq, rq.params["stack_name"], rq.params["stack_id"])
        e = conn.execute(sa.select(events).where(events.c.stack_id == stack["id"],
                                                 events.c.uuid == rq.params["event_id"])).mappings().first()
    if e is None:
        raise NotFound(f"The Event ({rq.params['event_id']}) could not be found.", kind="EntityNotFound")
    body = _render_event(ctx, rq, stack, e)
    body.update({"resource_type": e["resource_type"], "resource_properties": {}})
    return {"event": body}


ONE = "/v1/{tenant_id}/stacks/{stack_name}/{stack_id}"
R = ONE + "/resources/{resource_name}"
T = common.target
ROUTES = [
    route("GET", ONE + "/resources", list_resources, policy="resource:index", target=T),
    route("GET", R, show_resource, policy="resource:show", target=T),
    route("GET", R + "/metadata", show_metadata, policy="resource:metadata", target=T),
    route("POST", R + "/signal", signal_resource, policy="resource:signal", target=T),
    route("POST", "/v1/signal/{stack_id}/{resource_name}", signal_presigned, policy=PUBLIC, auth=False),
    route("PATCH", R, mark_unhealthy, policy="resource:mark_unhealthy", target=T),
    route("GET", ONE + "/events", list_events, policy="events:index", target=T),
    route("GET", R + "/events", list_events, policy="events:index", target=T),
    route("GET", R + "/events/{event_id}", show_event, policy="events:show", target=T),
]
