"""Server lists: nova's filters, sort keys and paging (nova/api/openstack/compute/servers.py _get_servers)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import parse_isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest
from pocketstack.services.compute import common, paging
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import views

S = t.servers
SORT_KEYS = {"created_at": "created_at", "updated_at": "updated_at", "display_name": "name", "uuid": "id",
             "vm_state": "vm_state", "task_state": "task_state", "power_state": "power_state", "host": "host",
             "node": "host", "launched_at": "launched_at", "terminated_at": "terminated_at",
             "key_name": "key_name", "project_id": "project_id", "user_id": "user_id", "image_ref": "image_id",
             "instance_type_id": "flavor_id", "availability_zone": "availability_zone", "hostname": "hostname",
             "display_description": "description", "locked": "locked", "launch_index": "launch_index",
             "reservation_id": "reservation_id", "progress": "progress", "config_drive": "config_drive",
             "access_ip_v4": "access_ipv4", "access_ip_v6": "access_ipv6", "id": "id", "root_device_name": "id",
             "kernel_id": "id", "ramdisk_id": "id"}
ADMIN_SORT = {"host", "node"}
CHANGES_BEFORE = v.SERVER_CHANGES_BEFORE
INVALID_STATUS = v.V("2.38", "an unknown status filter is 400")


def _time(rq: ApiRequest, key: str) -> Any:
    try:
        return parse_isotime(rq.query[key])
    except ValueError:
        raise BadRequest(f"Invalid input for query parameters {key}. Value: {rq.query[key]}.") from None


def _tags(values: str) -> list[str]:
    return [x for x in values.split(",") if x]


def _where(ctx: Context, rq: ApiRequest, admin: bool) -> tuple[list[Any], bool]:
    q, clauses = rq.query, []
    all_tenants = admin and "all_tenants" in q and common.to_bool(q["all_tenants"] or "true", "all_tenants")
    # quirk: without all_tenants, nova ignores tenant_id/project_id (lp:#1185290)
    project = (q.get("project_id") or q.get("tenant_id")) if admin and all_tenants else None
    if project:
        clauses.append(S.c.project_id == project)
    elif not all_tenants:
        clauses.append(S.c.project_id == ctx.project_id)
    include_deleted = "changes-since" in q or "changes-before" in q
    if admin and "deleted" in q:
        clauses.append(S.c.deleted.is_(common.to_bool(q["deleted"], "deleted")))
    elif not include_deleted:
        clauses.append(S.c.deleted.is_(False))
    if "status" in q:
        pairs = [p for s in q.getlist("status") for p in common.vm_states_for_status(s)]
        if not pairs:
            if ctx.version >= INVALID_STATUS:
                raise BadRequest("Invalid status value")
            return [sa.false()], True
        clauses.append(sa.or_(*[sa.and_(S.c.vm_state == vm, S.c.task_state.is_(None) if task is None else
                                        S.c.task_state == task) for vm, task in pairs]))
    for key, col in (("image", S.c.image_id), ("flavor", S.c.flavor_id), ("reservation_id", S.c.reservation_id),
                     ("key_name", S.c.key_name), ("availability_zone", S.c.availability_zone)):
        if q.get(key):
            value = q[key].rstrip("/").rsplit("/", 1)[-1] if key in ("image", "flavor") else q[key]
            clauses.append(col == value)
    if admin:
        for key, col in (("host", S.c.host), ("node", S.c.host), ("user_id", S.c.user_id),
                         ("hostname", S.c.hostname), ("vm_state", S.c.vm_state)):
            if q.get(key):
                clauses.append(col == q[key])
    if "changes-since" in q:
        clauses.append(sa.func.coalesce(S.c.updated_at, S.c.created_at) >= _time(rq, "changes-since"))
    if "changes-before" in q and ctx.version >= CHANGES_BEFORE:
        clauses.append(sa.func.coalesce(S.c.updated_at, S.c.created_at) <= _time(rq, "changes-before"))
    if "locked" in q and ctx.version >= v.LOCKED_REASON:
        clauses.append(S.c.locked.is_(common.to_bool(q["locked"], "locked")))
    tagged = sa.select(t.server_tags.c.server_id)
    for tag in _tags(q.get("tags", "")):
        clauses.append(S.c.id.in_(tagged.where(t.server_tags.c.tag == tag)))
    if q.get("tags-any"):
        clauses.append(S.c.id.in_(tagged.where(t.server_tags.c.tag.in_(_tags(q["tags-any"])))))
    if q.get("not-tags"):
        wanted = _tags(q["not-tags"])
        having = tagged.where(t.server_tags.c.tag.in_(wanted)).group_by(t.server_tags.c.server_id).having(
            sa.func.count() == len(wanted))
        clauses.append(S.c.id.not_in(having))
    if q.get("not-tags-any"):
        clauses.append(S.c.id.not_in(tagged.where(t.server_tags.c.tag.in_(_tags(q["not-tags-any"])))))
    return clauses, False


def _order(ctx: Context, rq: ApiRequest, admin: bool) -> list[Any]:
    keys = rq.query.getlist("sort_key") or ["created_at"]
    dirs = rq.query.getlist("sort_dir")
    order = []
    for i, key in enumerate(keys):
        if key not in SORT_KEYS or (key in ADMIN_SORT and not admin):
            if key in ADMIN_SORT:
                raise BadRequest(f"Only administrators can sort servers by {key}")
            raise BadRequest(f"Invalid input for query parameters sort_key. Value: {key}.")
        direction = dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "desc")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid input for query parameters sort_dir. Value: {direction}.")
        col = S.c[SORT_KEYS[key]]
        order.append(col.asc() if direction == "asc" else col.desc())
    order.append(S.c.id.desc())
    return order


def _python_filters(rq: ApiRequest, rows: list[dict[str, Any]], extras: views.Extras) -> list[dict[str, Any]]:
    q = rq.query
    if q.get("name"):
        try:
            pattern = re.compile(q["name"])
        except re.error:
            raise BadRequest(f"Invalid input for query parameters name. Value: {q['name']}.") from None
        rows = [r for r in rows if pattern.search(r["name"])]
    for key in ("ip", "ip6"):
        if q.get(key):
            try:
                pattern = re.compile(q[key])
            except re.error:
                raise BadRequest(f"Invalid input for query parameters {key}. Value: {q[key]}.") from None
            rows = [r for r in rows if any(pattern.match(ip["ip_address"]) for p in extras.ports[r["id"]]
                                           for ip in p["fixed_ips"])]
    return rows


PYTHON_FILTERS = ("name", "ip", "ip6")       # regular expressions, matched in Python
# what a list renders: not the build's inputs (requested networks, groups, block devices), whose JSON
# would be parsed for every row of the page for nothing
# JSON columns come as text and are parsed once per distinct value of the page (a page's servers share
# a few flavors)
_JSON_SHOWN = ("flavor", "fault", "trusted_certs", "image_properties", "scheduler_hints")
SHOWN = [sa.type_coerce(c, sa.Text).label(c.name) if c.name in _JSON_SHOWN else c for c in S.c
         if c.name not in ("old_flavor", "key_data", "security_groups", "networks", "block_devices")]


def _rows(result: Any) -> list[dict[str, Any]]:
    rows = db.dicts(result)
    parsed: dict[str, Any] = {}
    for r in rows:
        for key in _JSON_SHOWN:
            text = r[key]
            if isinstance(text, str):          # (PostgreSQL's driver hands JSON over parsed already)
                if text not in parsed:
                    parsed[text] = db.json_loads(text)
                r[key] = parsed[text]
    return rows


def _sql_page(conn: Any, clauses: list[Any], order: list[Any], marker: str | None, limit: int) -> list[dict[str, Any]]:
    """One page without loading every row: the first page in one query; after a marker, the ordered ids
    (one narrow query), the marker found among them, then the rows of that page only."""
    if marker is None:
        return _rows(conn.execute(sa.select(*SHOWN).where(*clauses).order_by(*order).limit(limit)))
    ids = [str(i) for i in conn.execute(sa.select(S.c.id).where(*clauses).order_by(*order)).scalars()]
    page = paging.page_after([{"id": i} for i in ids], marker, limit)
    wanted = [p["id"] for p in page]
    by_id = {r["id"]: r for r in _rows(conn.execute(sa.select(*SHOWN).where(S.c.id.in_(wanted))))} \
        if wanted else {}
    return [by_id[i] for i in wanted if i in by_id]


def list_servers(ctx: Context, rq: ApiRequest, detail: bool) -> dict[str, Any]:
    admin = common.can(ctx, "os_compute_api:servers:index:get_all_tenants", {"project_id": ctx.project_id})
    if "all_tenants" in rq.query and common.to_bool(rq.query["all_tenants"] or "true", "all_tenants"):
        # nova refuses, rather than ignores, all_tenants from a caller its rule denies
        common.enforce(ctx, f"os_compute_api:servers:{'detail' if detail else 'index'}:get_all_tenants", {})
    clauses, empty = _where(ctx, rq, admin)
    limit, marker = paging.limit_and_marker(rq)
    with db.reader() as conn:
        if empty:
            rows, extras = [], views.Extras(conn, [])
        elif any(rq.query.get(k) for k in PYTHON_FILTERS):
            rows = _rows(conn.execute(sa.select(*SHOWN).where(*clauses).order_by(*_order(ctx, rq, admin))))
            extras = views.Extras(conn, [r["id"] for r in rows])
            rows = paging.page_after(_python_filters(rq, rows, extras), marker, limit)
        else:
            rows = _sql_page(conn, clauses, _order(ctx, rq, admin), marker, limit)
            extras = views.Extras(conn, [r["id"] for r in rows])
    if detail:
        extras.load_security_groups(ctx.token, [r["id"] for r in rows])
    render = (lambda r: views.render_server(ctx, rq, r, extras)) if detail else \
        (lambda r: views.render_brief(ctx, rq, r))
    out: dict[str, Any] = {"servers": [render(r) for r in rows]}
    links = paging.collection_links(ctx, rq, "servers/detail" if detail else "servers", rows, limit)
    if links:
        out["servers_links"] = links
    return out
