"""How stacks look on the wire: list, detail, preview, outputs, abandon data, update previews
(heat/api/openstack/v1/views/stacks_view.py, heat/engine/api.py format_stack)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest
from pocketstack.services.orchestration import common
from pocketstack.services.orchestration.engine import operations
from pocketstack.services.orchestration.engine.template import Template
from pocketstack.services.orchestration.tables import resources, stack_tags, stacks

SORT_KEYS = {"stack_name": stacks.c.name, "stack_status": stacks.c.status, "creation_time": stacks.c.created_at,
             "updated_time": stacks.c.updated_at}
FILTERS = {"id": stacks.c.id, "name": stacks.c.name, "stack_name": stacks.c.name, "username": stacks.c.username,
           "owner_id": stacks.c.owner_id, "stack_owner": stacks.c.username}


def _status(row: Any) -> str:
    return f"{row['action']}_{row['status']}"


def basic(ctx: Context, rq: ApiRequest, row: Any, tags: list[str] | None, project: bool = False) -> dict[str, Any]:
    out = {"id": row["id"], "links": [common.stack_link(ctx, rq, row)], "stack_name": row["name"],
           "description": Template(row["template"]).description if row["template"] else "",
           "stack_status": _status(row), "stack_status_reason": row["status_reason"],
           "creation_time": common.iso(row["created_at"]), "deletion_time": common.iso(row["deleted_at"]),
           "updated_time": common.iso(row["updated_at"]) if row["action"] != "CREATE" else None,
           "stack_owner": row["username"], "parent": row["owner_id"], "stack_user_project_id": row["project_id"],
           "tags": tags}
    if project:
        out["project"] = row["project_id"]
    return out


def parameters(row: Any) -> dict[str, str]:
    tmpl = Template(row["template"], row["files"])
    values = operations.parameters(tmpl, row["environment"] or {})
    defs = tmpl.param_defs()
    out = {n: ("******" if defs[n].hidden else common.param_text(v)) for n, v in values.items() if v is not None}
    out.update({"OS::stack_name": row["name"], "OS::stack_id": row["id"], "OS::project_id": row["project_id"]})
    return out


def outputs(row: Any, resolve: bool) -> list[dict[str, Any]]:
    tmpl = Template(row["template"], row["files"])
    specs = tmpl.outputs or {}
    scope = operations.read_scope(row["id"]) if resolve and specs else None
    out = []
    for key, spec in specs.items():
        spec = spec or {}
        item: dict[str, Any] = {"output_key": key, "description": spec.get("description" if tmpl.hot
                                                                                else "Description") or
                                "No description given"}
        if scope is not None:
            try:
                item["output_value"] = scope.resolve(spec.get("value" if tmpl.hot else "Value"), ["outputs", key])
            except Exception as exc:  # noqa: BLE001 - Heat reports a failing output per output
                item["output_value"] = None
                item["output_error"] = str(exc)
        out.append(item)
    return out


def detail(ctx: Context, rq: ApiRequest, row: Any, tags: list[str] | None, resolve_outputs: bool = True
           ) -> dict[str, Any]:
    out = basic(ctx, rq, row, tags)
    tmpl_desc = out["description"]
    out.update({"parameters": parameters(row), "template_description": tmpl_desc, "capabilities": [],
                "notification_topics": [], "disable_rollback": row["disable_rollback"],
                "timeout_mins": row["timeout_mins"]})
    if not (row["action"] == "DELETE" and row["status"] == "COMPLETE") and resolve_outputs:
        out["outputs"] = outputs(row, resolve=True)
    return out


def listing(ctx: Context, rq: ApiRequest, global_tenant: bool) -> dict[str, Any]:
    q = rq.query
    global_tenant = global_tenant or common.boolean(q.get("global_tenant", False), "global_tenant")
    stmt = sa.select(stacks)
    if not global_tenant:
        stmt = stmt.where(stacks.c.project_id == rq.params["tenant_id"])
    elif not ctx.is_admin:
        from pocketstack.core.errors import Forbidden
        raise Forbidden("You are not authorized to use global_index.", kind="Forbidden")
    if not common.boolean(q.get("show_deleted", False), "show_deleted"):
        stmt = stmt.where(stacks.c.deleted_at.is_(None))
    if not common.boolean(q.get("show_nested", False), "show_nested"):
        stmt = stmt.where(stacks.c.owner_id.is_(None))
    if not common.boolean(q.get("show_hidden", False), "show_hidden"):
        hidden = sa.select(stack_tags.c.stack_id).where(stack_tags.c.tag.in_(["data-processing-cluster"]))
        stmt = stmt.where(stacks.c.id.not_in(hidden))
    for key, col in FILTERS.items():
        if q.getlist(key):
            stmt = stmt.where(col.in_(q.getlist(key)))
    for key in ("status", "stack_status"):
        for value in q.getlist(key):
            action, _, status = value.partition("_")
            stmt = stmt.where(stacks.c.status == value) if not status else stmt.where(
                stacks.c.action == action, stacks.c.status == status)
    for key, mode in (("tags", "all"), ("tags_any", "any"), ("not_tags", "not"), ("not_tags_any", "notany")):
        if q.get(key):
            stmt = _tag_filter(stmt, [t for t in q[key].split(",") if t], mode)
    with db.reader() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar() \
            if common.boolean(q.get("with_count", False), "with_count") else None
        sort_key = q.get("sort_keys", "creation_time").split(",")[0]
        col = SORT_KEYS.get(sort_key)
        if col is None:
            raise BadRequest(f"Invalid sort key: {sort_key}", kind="HTTPBadRequest")
        desc = q.get("sort_dir", "desc") == "desc"
        rows = [dict(r) for r in conn.execute(stmt.order_by(col.desc() if desc else col.asc(),
                                                            stacks.c.id)).mappings()]
        if q.get("marker"):
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(q["marker"]) + 1:] if q["marker"] in ids else rows
        if q.get("limit"):
            try:
                rows = rows[:int(q["limit"])]
            except ValueError:
                raise BadRequest("Only integer is acceptable by 'limit'.", kind="HTTPBadRequest") from None
        tags = common.tags_of(conn, [r["id"] for r in rows])
    out: dict[str, Any] = {"stacks": [basic(ctx, rq, r, tags.get(r["id"]), project=global_tenant) for r in rows]}
    if q.get("limit") and rows and len(rows) == int(q["limit"]):
        out["links"] = [{"href": f"{common.base(ctx, rq)}/stacks?limit={q['limit']}&marker={rows[-1]['id']}",
                         "rel": "next"}]
    if count is not None:
        out["count"] = count
    return out


def _tag_filter(stmt: Any, tags: list[str], mode: str) -> Any:
    def has(tag: str) -> Any:
        return stacks.c.id.in_(sa.select(stack_tags.c.stack_id).where(stack_tags.c.tag == tag))
    if mode == "all":
        return stmt.where(sa.and_(*[has(t) for t in tags]))
    if mode == "any":
        return stmt.where(sa.or_(*[has(t) for t in tags]))
    if mode == "not":
        return stmt.where(sa.not_(sa.and_(*[has(t) for t in tags])))
    return stmt.where(sa.not_(sa.or_(*[has(t) for t in tags])))


def preview(ctx: Context, rq: ApiRequest, name: str, req: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from pocketstack.services.orchestration.engine.preview import preview as preview_resources
    tmpl, project = req["tmpl"], ctx.project_id or ""
    return {"stack_name": name, "id": "None", "description": tmpl.description, "template_description":
            tmpl.description, "parameters": {**{k: common.param_text(v) for k, v in params.items()},
                                             "OS::stack_name": name, "OS::stack_id": "None",
                                             "OS::project_id": project},
            "links": [{"href": f"{common.base(ctx, rq)}/stacks/{name}/None", "rel": "self"}],
            "stack_owner": ctx.user_name, "parent": None, "stack_user_project_id": project,
            "disable_rollback": common.boolean(common.body(rq).get("disable_rollback", True), "disable_rollback"),
            "timeout_mins": common.body(rq).get("timeout_mins"), "capabilities": [], "notification_topics": [],
            "creation_time": None, "updated_time": None, "deletion_time": None, "tags": None,
            "resources": preview_resources(tmpl, req["env"], name, project)}


def update_changes(row: Any, req: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    old = Template(row["template"], row["files"]).resource_defs()
    new = req["tmpl"].resource_defs()
    out: dict[str, list[dict[str, Any]]] = {"added": [], "deleted": [], "unchanged": [], "updated": [],
                                            "replaced": []}

    def item(name: str, d: Any) -> dict[str, Any]:
        return {"resource_name": name, "resource_type": d.type, "resource_action": "INIT",
                "resource_status": "COMPLETE", "resource_identity": {"stack_name": row["name"],
                                                                     "stack_id": row["id"], "path":
                                                                     f"/resources/{name}"}}
    for name, d in new.items():
        if name not in old:
            out["added"].append(item(name, d))
        elif old[name].snippet == d.snippet:
            out["unchanged"].append(item(name, d))
        elif old[name].type != d.type:
            out["replaced"].append(item(name, d))
        else:
            out["updated"].append(item(name, d))
    out["deleted"] = [item(n, d) for n, d in old.items() if n not in new]
    return out


def environment_view(env: dict[str, Any] | None) -> dict[str, Any]:
    env = dict(env or {})
    return {"parameters": env.get("parameters") or {}, "parameter_defaults": env.get("parameter_defaults") or {},
            "resource_registry": env.get("resource_registry") or {"resources": {}},
            "event_sinks": env.get("event_sinks") or [], "encrypted_param_names": [],
            "parameter_merge_strategies": env.get("parameter_merge_strategies") or {}}


def abandon_data(conn: Any, row: Any) -> dict[str, Any]:
    rows = conn.execute(sa.select(resources).where(resources.c.stack_id == row["id"], resources.c.replaced_by
                                                   .is_(None))).mappings().all()
    return {"name": row["name"], "id": row["id"], "action": row["action"], "status": row["status"],
            "template": row["template"], "environment": environment_view(row["environment"]),
            "files": row["files"] or {}, "project_id": row["project_id"], "stack_user_project_id": row["project_id"],
            "tags": None, "resources": {r["name"]: {
                "name": r["name"], "type": r["type"], "resource_id": r["physical_resource_id"],
                "action": r["action"], "status": r["status"], "metadata": r["rsrc_metadata"] or {},
                "resource_data": {k: v for k, v in (r["data"] or {}).items() if isinstance(v, str)}}
                for r in rows}}
