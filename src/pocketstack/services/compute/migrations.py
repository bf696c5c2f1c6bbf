"""Migration records (nova's Migration objects): a resize or live migration writes one; /os-migrations
lists them (api-ref: compute, Migrations (os-migrations)) and /servers/{id}/migrations shows a server's
in-progress live migrations. A resize's record uuid is also its Placement consumer (the old flavor's
allocations), as in nova."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t

MIGRATION_TYPE = V("2.23", "migrations show migration_type (and links of in-progress live migrations)")
PAGING = V("2.59", "migrations page (limit, marker), filter by changes-since and show uuid")
CHANGES_BEFORE = V("2.66", "migrations filter by changes-before")
OWNERS = V("2.80", "migrations show user_id and project_id and filter by them")
LIVE_IN_PROGRESS = ("queued", "preparing", "running", "post-migrating")
M = t.migrations


def record(conn: Connection, server: dict[str, Any], uuid: str, kind: str, new_flavor_id: str | None,
           dest: str | None = None) -> None:
    """A new migration of `server` ("resize", "migration", "live-migration" or "evacuation"), pre-migrating
    until the job runs; its destination is the one asked for, else set when the scheduler picks it."""
    new_flavor_id = new_flavor_id or server["flavor_id"]
    internal = dict(conn.execute(sa.select(t.flavors.c.id, t.flavors.c.internal_id).where(
        t.flavors.c.id.in_({server["flavor_id"], new_flavor_id}))).all())
    conn.execute(M.insert().values(
        uuid=uuid, instance_uuid=server["id"], project_id=server["project_id"], user_id=server["user_id"],
        migration_type=kind, status="pre-migrating", source_compute=server["host"], dest_compute=dest,
        source_node=server["host"], dest_node=dest, dest_host="127.0.0.1" if dest else None,
        old_flavor_id=server["flavor_id"],
        new_flavor_id=new_flavor_id, old_instance_type_id=internal.get(server["flavor_id"]),
        new_instance_type_id=internal.get(new_flavor_id), created_at=utcnow()))


def set_status(uuid: str | None, status: str, dest: str | None = None) -> None:
    """A migration's new status (and its destination, once chosen)."""
    if not uuid:
        return
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    if dest is not None:
        values.update(dest_compute=dest, dest_node=dest, dest_host="127.0.0.1")
    with db.session() as conn:
        conn.execute(M.update().where(M.c.uuid == uuid).values(**values))


def _fields(row: Any) -> dict[str, Any]:
    """What both views of a migration show (os-migrations and servers/{id}/migrations)."""
    return {"created_at": isotime(row["created_at"], subsecond=True, suffix=""), "id": row["id"],
            "dest_compute": row["dest_compute"], "dest_host": row["dest_host"], "dest_node": row["dest_node"],
            "source_compute": row["source_compute"], "source_node": row["source_node"], "status": row["status"],
            "updated_at": isotime(row["updated_at"], subsecond=True, suffix="") if row["updated_at"] else None}


def _view(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    body = {**_fields(row), "instance_uuid": row["instance_uuid"],
            "new_instance_type_id": row["new_instance_type_id"], "old_instance_type_id": row["old_instance_type_id"]}
    if ctx.version >= MIGRATION_TYPE:
        body["migration_type"] = row["migration_type"]
        if row["migration_type"] == "live-migration" and row["status"] in LIVE_IN_PROGRESS:
            body["links"] = common.links(ctx, rq, f"servers/{row['instance_uuid']}/migrations", str(row["id"]))
    if ctx.version >= PAGING:
        body["uuid"] = row["uuid"]
    if ctx.version >= OWNERS:
        body["user_id"], body["project_id"] = row["user_id"], row["project_id"]
    return body


def _time(rq: ApiRequest, name: str) -> Any:
    try:
        return parse_isotime(rq.query[name])
    except (ValueError, TypeError):
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {rq.query[name]}. "
                         f"'{rq.query[name]}' is not a 'date-time'") from None


def list_migrations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    q = rq.query
    stmt = sa.select(M)
    for key in ("status", "instance_uuid", "migration_type", "source_compute"):
        if q.get(key):
            stmt = stmt.where(M.c[key] == q[key])
    if q.get("host"):
        stmt = stmt.where(sa.or_(M.c.source_compute == q["host"], M.c.dest_compute == q["host"]))
    if ctx.version >= OWNERS:
        for key in ("user_id", "project_id"):
            if q.get(key):
                stmt = stmt.where(M.c[key] == q[key])
    paged = ctx.version >= PAGING
    if paged:
        since = _time(rq, "changes-since") if q.get("changes-since") else None
        before = _time(rq, "changes-before") if ctx.version >= CHANGES_BEFORE and q.get("changes-before") else None
        if since and before and before < since:
            raise BadRequest("The value of changes-since must be less than or equal to changes-before.")
        changed = sa.func.coalesce(M.c.updated_at, M.c.created_at)
        if since:
            stmt = stmt.where(changed >= since)
        if before:
            stmt = stmt.where(changed <= before)
    stmt = stmt.order_by(M.c.created_at.desc(), M.c.id.desc())
    limit = None
    with db.reader() as conn:
        if paged and q.get("marker"):
            marker = conn.execute(sa.select(M).where(M.c.uuid == q["marker"])).mappings().first()
            if marker is None:
                raise BadRequest(f"Marker {q['marker']} could not be found.")
            stmt = stmt.where(sa.or_(M.c.created_at < marker["created_at"],
                                     sa.and_(M.c.created_at == marker["created_at"], M.c.id < marker["id"])))
        if paged and q.get("limit"):
            try:
                limit = int(q["limit"])
            except ValueError:
                raise BadRequest(f"Invalid input for query parameters limit. Value: {q['limit']}.") from None
            stmt = stmt.limit(limit)
        rows = conn.execute(stmt).mappings().all()
    body: dict[str, Any] = {"migrations": [_view(ctx, rq, r) for r in rows]}
    if paged and limit and len(rows) == limit:
        body["migrations_links"] = [{"rel": "next", "href": f"{ctx.base_url}/compute/v2.1/os-migrations?"
                                                            f"limit={limit}&marker={rows[-1]['uuid']}"}]
    return body


def list_server_migrations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """Only in-progress live migrations (a one-host cloud has none past pre-migrating)."""
    with db.reader() as conn:
        common.load_server(conn, ctx, rq.params["server_id"])
        rows = conn.execute(sa.select(M).where(M.c.instance_uuid == rq.params["server_id"],
                                               M.c.migration_type == "live-migration",
                                               M.c.status.in_(LIVE_IN_PROGRESS))).mappings().all()
    return {"migrations": [_server_view(ctx, r) for r in rows]}


def show_server_migration(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        common.load_server(conn, ctx, rq.params["server_id"])
        row = conn.execute(sa.select(M).where(M.c.instance_uuid == rq.params["server_id"],
                                              M.c.id == _int(rq.params["migration_id"]))).mappings().first()
    if row is None or row["migration_type"] != "live-migration" or row["status"] not in LIVE_IN_PROGRESS:
        raise NotFound(f"In-progress live migration {rq.params['migration_id']} is not found for server "
                       f"{rq.params['server_id']}.")
    return {"migration": _server_view(ctx, row)}


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"Migration {raw} could not be found.") from None


def _server_view(ctx: Context, row: Any) -> dict[str, Any]:
    progress = {f"{what}_{part}_bytes": 0 for what in ("disk", "memory")
                for part in ("processed", "remaining", "total")}
    body = {**_fields(row), "server_uuid": row["instance_uuid"], **progress}
    if ctx.version >= PAGING:
        body["uuid"] = row["uuid"]
    if ctx.version >= OWNERS:
        body["user_id"], body["project_id"] = row["user_id"], row["project_id"]
    return body


SERVER_MIGRATIONS = V("2.23", "GET /servers/{id}/migrations")
P = "os_compute_api:"
ROUTES = [
    route("GET", "/v2.1/os-migrations", list_migrations, policy=P + "os-migrations:index"),
    route("GET", "/v2.1/servers/{server_id}/migrations", list_server_migrations,
          policy=P + "servers:migrations:index", min_version=SERVER_MIGRATIONS, target=common.server_target),
    route("GET", "/v2.1/servers/{server_id}/migrations/{migration_id}", show_server_migration,
          policy=P + "servers:migrations:show", min_version=SERVER_MIGRATIONS, target=common.server_target),
]
