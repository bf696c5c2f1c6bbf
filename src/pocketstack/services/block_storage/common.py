"""Shared by every Block Storage collection: policy checks in logic, route rows for both URL forms
(with and, since 3.67, without the project id), links, list parameters, visibility, quotas."""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound, OverLimit
from pocketstack.core.listing import Listing, Query, next_link
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, Route, Service, route
from pocketstack.core.versions import APIVersion
from pocketstack.services.block_storage import versions as v

_service: Service | None = None
HOST = "pocketstack@lvmdriver-1#lvmdriver-1"   # the default backend's host (`HOSTNAME@BACKEND#BACKEND`)
BACKEND = "lvmdriver-1"                       # the default backend: the first of BACKENDS
BACKENDS = [BACKEND]                          # `block_storage: {backends: [...]}` (cinder's enabled_backends)
HOSTNAME = "pocketstack"
AZ = "nova"
CAPABILITIES: dict[str, Any] = {
    "volume_backend_name": BACKEND, "storage_protocol": "iSCSI", "vendor_name": "Open Source",
    "driver_version": "3.0.0", "pool_name": BACKEND, "QoS_support": False, "thin_provisioning_support": True,
    "thick_provisioning_support": False, "multiattach": True, "online_extend_support": True,
    "consistent_group_snapshot_enabled": False, "replication_enabled": False}
SERVICES = [("pocketstack", "cinder-scheduler"), (HOST.split("#")[0], "cinder-volume"),
            ("pocketstack", "cinder-backup")]


def set_host(name: str, backends: list[str] | None = None) -> None:
    """This host's cinder services: the scheduler and backup on `name`, a volume service per backend. The
    backends (DevStack's lvmdriver-1, lvmdriver-2, ...) are names over the one volume store this host has
    (`block_storage.volume_backend`): each is its own scheduling target, and moving a volume between them
    (migration, retype) copies its bytes."""
    global HOST, SERVICES, HOSTNAME, BACKEND, BACKENDS
    if backends:
        BACKENDS = list(dict.fromkeys(str(b) for b in backends))
        BACKEND = BACKENDS[0]
    HOSTNAME = name
    HOST = host_of(BACKEND)
    SERVICES = [(name, "cinder-scheduler"), *[(f"{name}@{b}", "cinder-volume") for b in BACKENDS],
                (name, "cinder-backup")]


def host_of(backend: str, hostname: str | None = None) -> str:
    return f"{hostname or HOSTNAME}@{backend}#{backend}"


def backend_of(host: str | None) -> str | None:
    """`HOST@BACKEND#POOL` -> BACKEND (None for a host string without a backend)."""
    if not host or "@" not in host:
        return None
    return host.split("@", 1)[1].split("#", 1)[0]


def capabilities(backend: str) -> dict[str, Any]:
    return {**CAPABILITIES, "volume_backend_name": backend, "pool_name": backend}


TRUE = {"true", "1", "yes", "on", "t", "y"}
FALSE = {"false", "0", "no", "off", "f", "n"}


def bind(service: Service) -> None:
    global _service
    _service = service
    for r in service.routes:
        if r.path.startswith("/v3/{project_id}/") and r.auth is True:
            r.handler = _url_project_checked(r.handler)


def _url_project_checked(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Cinder's wsgi refuses a URL whose project is not the token's before any controller runs
    (cinder/api/openstack/wsgi.py _process_stack): 400 "Malformed request url". Cinder refuses it
    to admins too; here admins and service users are let through, because Nova's and Heat's calls
    in this process put the resource's project in the URL with the acting token (upstream's
    clients use the token's project), and those calls must keep working."""
    def check(ctx: Context, rq: ApiRequest) -> None:
        project = rq.params.get("project_id")
        if project and ctx.project_id and project != ctx.project_id and not (
                ctx.is_admin or "service" in ctx.roles):
            raise BadRequest("Malformed request url")
    if inspect.iscoroutinefunction(handler):
        async def checked_async(ctx: Context, rq: ApiRequest) -> Any:
            check(ctx, rq)
            return await handler(ctx, rq)
        return functools.wraps(handler)(checked_async)

    def checked(ctx: Context, rq: ApiRequest) -> Any:
        check(ctx, rq)
        return handler(ctx, rq)
    return functools.wraps(handler)(checked)


def enforce(ctx: Context, rule_name: str, target: dict[str, Any]) -> None:
    assert _service is not None and _service.policy is not None
    _service.policy.enforce(rule_name, target, ctx)


def check(ctx: Context, rule_name: str, target: dict[str, Any] | None = None) -> bool:
    assert _service is not None and _service.policy is not None
    return _service.policy.check(rule_name, target or {"project_id": ctx.project_id}, ctx)


def routes(method: str, path: str, handler: Callable[..., Any], *, policy: str | None, **kw: Any) -> list[Route]:
    """One route under /v3/{project_id} and one under /v3 (3.67: the project id is optional)."""
    return [route(method, "/v3/{project_id}" + path, handler, policy=policy, **kw),
            route(method, "/v3" + path, handler, policy=policy, **kw)]


def ts(value: Any) -> str | None:
    """Cinder's timestamps: 2024-01-01T00:00:00.000000, no zone suffix."""
    return isotime(value, subsecond=True, suffix="")


def _no_such_version(ctx: Context, rq: ApiRequest) -> None:
    raise NotFound("The resource could not be found.")


def before(version: Any, *paths: str, methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE")) -> list[Route]:
    """404 for paths that exist only since `version` when asked at an older one (cinder's
    VersionNotFoundForAPIMethod), instead of the 405 a path match with no route would give."""
    older = APIVersion(f"{version.major}.{version.minor - 1}")
    return [r for p in paths for m in methods
            for r in routes(m, p, _no_such_version, policy=PUBLIC, max_version=older, auth=False)]


def version_at_least(ctx: Context, version: Any) -> bool:
    return ctx.version is not None and ctx.version >= version


# --- links -------------------------------------------------------------------------------
def project_in_url(ctx: Context, rq: ApiRequest | None = None) -> str:
    if rq is not None and "project_id" in rq.params:
        return rq.params["project_id"]
    return ctx.project_id or ""


def links(ctx: Context, rq: ApiRequest | None, collection: str, item_id: str) -> list[dict[str, str]]:
    base = f"{ctx.base_url}/volume"
    project = project_in_url(ctx, rq)
    return [{"href": f"{base}/v3/{project}/{collection}/{item_id}", "rel": "self"},
            {"href": f"{base}/{project}/{collection}/{item_id}", "rel": "bookmark"}]


def collection_links(ctx: Context, rq: ApiRequest, rows: list[Any], q: Query) -> list[dict[str, str]]:
    """quirk: cinder links a next page whenever a page is full, even when nothing follows it."""
    if not rows or q.limit is None or len(rows) < q.limit:
        return []
    base = f"{ctx.base_url}{rq.path}"
    return [{"href": next_link(base, rq.query, rows[-1]["id"]), "rel": "next"}]


def backend_satisfies(extra_specs: Mapping[str, str], backend: str | None = None) -> bool:
    """cinder's CapabilitiesFilter: unscoped and capabilities: keys must match what the backend
    reports (with the extra_specs_ops `<is>`, `<in>`, `<or>` forms); other scopes are ignored."""
    caps = capabilities(backend or BACKEND)
    for key, wanted in extra_specs.items():
        scope, _, name = key.rpartition(":")
        if scope not in ("", "capabilities"):
            continue
        if name not in caps:
            return False
        have, wanted = str(caps[name]), str(wanted).strip()
        words = wanted.split()
        if words and words[0] == "<is>":
            ok = have.lower() == (words[1].lower() if len(words) > 1 else "")
        elif words and words[0] == "<in>":
            ok = " ".join(words[1:]) in have
        elif words and words[0] == "<or>":
            ok = have in [w for w in words if w != "<or>"]
        elif words and words[0] in ("=", ">=", "<=", "==", "!=", "s==", "s!=", "<all-in>"):
            ok = True  # numeric and set comparisons: the fake backend has room for anything
        else:
            ok = have == wanted
        if not ok:
            return False
    return True


def pick_backend(extra_specs: Mapping[str, str], prefer: str | None = None) -> str | None:
    """cinder's filter scheduler over this host's backends: `prefer` (a clone's source backend) when it
    passes, else the first that does; None when none does (NoValidBackend)."""
    for backend in ([prefer] if prefer in BACKENDS else []) + BACKENDS:
        if backend_satisfies(extra_specs, backend):
            return backend
    return None


# --- lists ---------------------------------------------------------------------------------
def parse_query(listing: Listing, rq: ApiRequest) -> Query:
    """Cinder's paging parameters: limit, marker, offset, sort=key:dir,... or sort_key/sort_dir."""
    # quirk: cinder accepts the v1 name display_name as a sort key for name
    params = QueryParams([(k, ",".join("name" if x.split(":")[0] == "display_name" else x for x in val.split(","))
                           if k in ("sort_key", "sort") else val) for k, val in rq.query.multi_items()])
    q = listing.parse(params)
    if params.get("sort"):
        if "sort_key" in params or "sort_dir" in params:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used "
                             "with the 'sort' parameter.")
        q.sort = []
        for item in params["sort"].split(","):
            key, _, direction = item.strip().partition(":")
            direction = direction or "desc"
            key = {"display_name": "name"}.get(key, key)
            if key not in listing.sort_keys or direction not in ("asc", "desc"):
                raise BadRequest(f"Invalid sort key or direction: {item}")
            q.sort.append((key, direction))
    else:
        q.sort = [(k, d) for k, d in q.sort]
    if not q.sort:
        q.sort = [("created_at", "desc")]
    return q


def offset_of(rq: ApiRequest) -> int:
    raw = rq.query.get("offset")
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"offset param must be an integer: {raw}") from None
    if value < 0:
        raise BadRequest("offset param must be positive")
    return value


def project_scope(ctx: Context, rq: ApiRequest, column: sa.Column) -> list[Any]:
    """Non-admins see their project; admins too unless all_tenants (optionally with project_id)."""
    all_tenants = rq.query.get("all_tenants")
    if ctx.is_admin and all_tenants is not None and all_tenants.lower() not in FALSE:
        if rq.query.get("project_id"):
            return [column == rq.query["project_id"]]
        return []
    return [column == ctx.project_id]


def metadata_filter(raw: str, table: sa.Table, fk: sa.Column, id_col: sa.Column) -> list[Any]:
    try:
        wanted = ast.literal_eval(raw) if raw.strip().startswith("{") else None
    except (ValueError, SyntaxError):
        wanted = None
    if not isinstance(wanted, dict):
        raise BadRequest(f"Invalid metadata filter: {raw}")
    return [sa.exists().where(fk == id_col, table.c.key == str(k), table.c.value == str(val))
            for k, val in wanted.items()]


def list_page(conn: Connection, listing: Listing, stmt: sa.Select, q: Query, rq: ApiRequest,
              marker_missing: Callable[[str], Exception]) -> tuple[list[Any], bool, int | None]:
    """One page, whether more follow, and the count (with_count, 3.45) of all matching rows."""
    count = None
    if str(rq.query.get("with_count", "")).lower() in TRUE:
        count = conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    offset = offset_of(rq)
    if offset:
        stmt = stmt.offset(offset)  # quirk: cinder applies offset after the marker
    rows, more = listing.page(conn, stmt, q, marker_missing=marker_missing)
    return rows, more, count


def with_count(ctx: Context, body: dict[str, Any], count: int | None) -> dict[str, Any]:
    if count is not None and version_at_least(ctx, v.SUPPORT_COUNT_INFO):
        body["count"] = count
    return body


def bool_param(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise BadRequest(f"Invalid value '{value}' for {name}: must be a boolean.")


# --- quotas --------------------------------------------------------------------------------
DEFAULT_PROJECT = "__default__"
DEFAULT_QUOTAS = {"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10, "backup_gigabytes": 1000,
                  "groups": 10, "per_volume_gigabytes": -1}
QUOTA_NAMES = {"volumes": "VolumeLimitExceeded", "snapshots": "SnapshotLimitExceeded",
               "backups": "BackupLimitExceeded", "groups": "GroupLimitExceeded"}


PER_TYPE = ("volumes", "snapshots", "gigabytes")


def quota_limits(conn: Connection, project_id: str) -> dict[str, int]:
    """Hard limits: cinder's defaults, the default class's overrides, then the project's; plus the
    per-type limits (volumes_<type>, snapshots_<type>, gigabytes_<type>), unlimited unless set."""
    from pocketstack.services.block_storage.tables import quotas, volume_types
    limits = dict(DEFAULT_QUOTAS)
    for name in conn.execute(sa.select(volume_types.c.name)).scalars():
        limits.update({f"{r}_{name}": -1 for r in PER_TYPE})
    for who in dict.fromkeys((DEFAULT_PROJECT, project_id)):
        for row in conn.execute(sa.select(quotas).where(quotas.c.project_id == who)).mappings():
            if row["resource"] in limits:
                limits[row["resource"]] = row["hard_limit"]
    return limits


def quota_usage(conn: Connection, project_id: str) -> dict[str, int]:
    from pocketstack.services.block_storage.tables import backups, snapshots, volume_types, volumes
    usage = {"volumes": 0, "gigabytes": 0, "snapshots": 0, "groups": 0, "per_volume_gigabytes": 0}
    for name, count, size in conn.execute(
            sa.select(volume_types.c.name, sa.func.count(), sa.func.coalesce(sa.func.sum(volumes.c.size), 0))
            .select_from(volumes.outerjoin(volume_types, volume_types.c.id == volumes.c.volume_type_id))
            .where(volumes.c.project_id == project_id).group_by(volume_types.c.name)):
        usage["volumes"] += count
        usage["gigabytes"] += int(size)
        usage[f"volumes_{name}"], usage[f"gigabytes_{name}"] = count, int(size)
    for name, count, size in conn.execute(
            sa.select(volume_types.c.name, sa.func.count(), sa.func.coalesce(sa.func.sum(snapshots.c.size), 0))
            .select_from(snapshots.outerjoin(volumes, volumes.c.id == snapshots.c.volume_id)
                         .outerjoin(volume_types, volume_types.c.id == volumes.c.volume_type_id))
            .where(snapshots.c.project_id == project_id).group_by(volume_types.c.name)):
        usage["snapshots"] += count
        usage["gigabytes"] += int(size)
        usage[f"snapshots_{name}"] = count
        usage[f"gigabytes_{name}"] = usage.get(f"gigabytes_{name}", 0) + int(size)
    bak_count, bak_size = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(backups.c.size), 0))
                                       .where(backups.c.project_id == project_id)).one()
    usage.update(backups=bak_count, backup_gigabytes=int(bak_size))
    from pocketstack.services.block_storage.tables import groups
    usage["groups"] = conn.execute(sa.select(sa.func.count()).select_from(groups)
                                   .where(groups.c.project_id == project_id)).scalar_one()
    return usage


def check_quota(conn: Connection, project_id: str, deltas: Mapping[str, int]) -> None:
    """Raise 413 when adding `deltas` to the project's usage would pass a limit (cinder's messages)."""
    limits, usage = quota_limits(conn, project_id), quota_usage(conn, project_id)
    per_volume = limits.get("per_volume_gigabytes", -1)
    size = deltas.get("gigabytes", 0)
    if per_volume >= 0 and size > per_volume and deltas.get("volumes"):
        raise OverLimit(f"VolumeSizeExceedsLimit: Requested volume size {size}G is larger than maximum allowed "
                        f"limit {per_volume}G.")
    for resource, delta in deltas.items():
        limit = limits.get(resource, -1)
        if delta <= 0 or limit < 0 or usage.get(resource, 0) + delta <= limit:
            continue
        if resource.startswith("gigabytes") or resource == "backup_gigabytes":
            what = "volume" if resource == "gigabytes" else "backup"
            raise OverLimit(f"VolumeSizeExceedsAvailableQuota: Requested {what} or snapshot exceeds allowed "
                            f"{resource} quota. Requested {delta}G, quota is {limit}G and "
                            f"{usage.get(resource, 0)}G has been consumed.")
        name = QUOTA_NAMES.get(resource.split("_")[0], "QuotaError")
        raise OverLimit(f"{name}: Maximum number of {resource} allowed "
                        f"({limit}) exceeded for quota '{resource}'.")


def not_found(kind: str, item_id: str) -> NotFound:
    return NotFound(f"{kind} {item_id} could not be found.")


def load_row(conn: Connection, table: sa.Table, ctx: Context, item_id: str, kind: str) -> dict[str, Any]:
    """The row, or 404 when it does not exist or belongs to another project (admins see all)."""
    row = conn.execute(sa.select(table).where(table.c.id == item_id)).mappings().first()
    if row is None or (not ctx.is_admin and row["project_id"] != ctx.project_id):
        raise not_found(kind, item_id)
    return dict(row)


def target_loader(table_name: str, param: str, kind: str) -> Callable[[Context, ApiRequest], dict[str, Any]]:
    """A route target: loads the row named in the path (404 when invisible) for the policy check."""
    def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        table = db.metadata.tables[table_name]
        with db.reader() as conn:
            row = load_row(conn, table, ctx, rq.params[param], kind)
        return {"project_id": row["project_id"], "user_id": row.get("user_id"), "id": row["id"]}
    return target
