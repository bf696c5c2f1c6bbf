"""What every Bare Metal collection shares: links, timestamps, uuid-or-name lookups, the policy targets
that conceal nodes a project cannot see, Ironic's list parameters and JSON patch
(ironic/api/controllers/link.py, v1/utils.py, v1/collection.py)."""

from __future__ import annotations

import collections
import copy
import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import jsonpatch
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import UTC
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, Conflict, Forbidden, MethodNotAllowed, NotAcceptable, NotFound
from pocketstack.core.listing import Listing, Query
from pocketstack.core.routing import ApiRequest, Service
from pocketstack.core.versions import APIVersion
from pocketstack.core.ids import is_uuid  # noqa: F401  (re-exported: common.is_uuid)
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import nodes

CONDUCTOR = "pocketstack"          # the one conductor: this process
_service: Service | None = None
NAME_RE = re.compile(r"^[a-zA-Z0-9-._~]+$")
_OLD_NAME_RE = re.compile(r"^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
                          r"(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$")


def bind(service: Service) -> None:
    global _service
    _service = service


def allowed(ctx: Context, rule: str, target: dict[str, Any]) -> bool:
    assert _service is not None and _service.policy is not None
    return bool(_service.policy.check(rule, target, ctx))


def authorize(ctx: Context, rule: str, target: dict[str, Any]) -> None:
    if not allowed(ctx, rule, target):
        raise Forbidden(f"Access was denied to the following resource: {rule}", rule=rule)


# --- views -------------------------------------------------------------------
def iso(value: dt.datetime | None) -> str | None:
    """Ironic's timestamps: datetime.isoformat() of an aware UTC time."""
    return None if value is None else value.replace(tzinfo=UTC).isoformat()


def public_url(ctx: Context, rq: ApiRequest) -> str:
    return ctx.base_url + rq.service_prefix


def build_url(base: str, resource: str, args: str, bookmark: bool = False) -> str:
    template = f"{base}/{resource}" if bookmark else f"{base}/v1/{resource}"
    return template + (args if args.startswith("?") else "/" + args)


def links(base: str, resource: str, args: str) -> list[dict[str, str]]:
    return [{"href": build_url(base, resource, args), "rel": "self"},
            {"href": build_url(base, resource, args, bookmark=True), "rel": "bookmark"}]


def select_fields(body: dict[str, Any], fields: list[str] | None, keep_links: bool = True) -> dict[str, Any]:
    if fields is None:
        return body
    return {k: val for k, val in body.items() if k in fields or (keep_links and k == "links")}


# --- logic -------------------------------------------------------------------

def valid_name(ctx: Context, name: str) -> bool:
    if ctx.version is not None and ctx.version >= v.UNRESTRICTED_NAME:
        return bool(NAME_RE.match(name))
    return bool(_OLD_NAME_RE.match(name)) and len(name) <= 63


def find_node(conn: Connection, ctx: Context, ident: str) -> Any:
    """get_rpc_node: a UUID is a UUID; a name only from 1.5 on, and it must be a valid name."""
    if is_uuid(ident):
        row = conn.execute(sa.select(nodes).where(nodes.c.uuid == ident)).mappings().first()
    elif ctx.version is not None and ctx.version >= v.NODE_NAME:
        if not valid_name(ctx, ident):
            raise BadRequest(f"Expected a logical name or UUID but received {ident}.")
        row = conn.execute(sa.select(nodes).where(nodes.c.name == ident)).mappings().first()
    else:
        row = None
    if row is None:
        raise NotFound(f"Node {ident} could not be found.")
    return row


def wait_unlocked(node_uuid: str, timeout: float = 5.0) -> None:
    """The conductor retries taking a node's lock for a while before NodeLocked (task_manager's
    node_locked_retry_attempts): wait for the job holding it, outside any transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.reader() as conn:
            if not conn.execute(sa.select(nodes.c.reservation).where(nodes.c.uuid == node_uuid)).scalar():
                return
        time.sleep(0.05)


def strip_json_suffix(ctx: Context, rq: ApiRequest, param: str, table: sa.Table) -> str:
    """quirk: below 1.91 ironic's JsonExtensionMiddleware strips a trailing .json from the path when the
    client names a version, and the lookup falls back to the full identifier if nothing has the short one
    (ironic/api/middleware/json_ext.py, v1/utils.py _get_with_suffix). The short identifier is put into
    the request's parameters when something has it."""
    ident = rq.params[param]
    if not (ident.endswith(".json") and rq.path.rstrip("/").endswith(ident)):
        return ident
    if v.MICROVERSIONS.requested(rq.headers) is None or ctx.version >= v.DOT_JSON:
        return ident
    short = ident[:-len(".json")]
    cols = [table.c.uuid == short, *([table.c.name == short] if "name" in table.c else [])]
    with db.reader() as conn:
        if conn.execute(sa.select(table.c.uuid).where(sa.or_(*cols))).first():
            rq.params[param] = short
    return rq.params[param]


def node_policy_target(row: Mapping[str, Any] | None) -> dict[str, Any]:
    owner = row["owner"] if row is not None else None
    lessee = row["lessee"] if row is not None else None
    return {"node": {"owner": owner, "lessee": lessee}, "config": {"service_project_name": "service"}}


def check_node(ctx: Context, row: Mapping[str, Any] | None, ident: str, rule: str | None = None) -> dict[str, Any]:
    """check_node_policy_and_retrieve: a node the caller may not see is 404 to a project-scoped caller."""
    target = node_policy_target(row)
    if not allowed(ctx, "baremetal:node:get", target):
        if ctx.project_id:
            raise NotFound(f"Node {ident} could not be found.")
        authorize(ctx, "baremetal:node:get", target)
    if rule is not None:
        authorize(ctx, rule, target)
    return target


def node_target(param: str = "node_ident") -> Callable[[Context, ApiRequest], dict[str, Any]]:
    """A route target: load the node, conceal it if the caller may not see it, then let the route's own
    rule be checked against its owner and lessee."""
    def build(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        ident = strip_json_suffix(ctx, rq, param, nodes)
        with db.reader() as conn:
            row = find_node(conn, ctx, ident)
        return check_node(ctx, row, ident)
    return build


def system_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"config": {"service_project_name": "service"}}


def require(ctx: Context, since: APIVersion) -> None:
    """A feature newer than the request's version: Ironic answers 406 Not Acceptable."""
    if ctx.version is None or ctx.version < since:
        raise NotAcceptable("Request not acceptable.")


def gate(ctx: Context, rq: ApiRequest, since: APIVersion, message: str) -> None:
    """A collection newer than the request's version (validation.api_version and friends): a read of
    it is 404, anything else 405."""
    if ctx.version is None or ctx.version < since:
        if rq.method == "GET":
            raise NotFound(message)
        raise MethodNotAllowed(message)


def hidden(ctx: Context, since: APIVersion, what: str = "The resource could not be found.") -> None:
    """A collection newer than the request's version does not exist for it: 404."""
    if ctx.version is None or ctx.version < since:
        raise NotFound(what)


# --- lists -------------------------------------------------------------------
def parse_list(ctx: Context, rq: ApiRequest, listing: Listing, *, invalid_sort: set[str] = frozenset(),
               max_limit: int = 1000) -> Query:
    params = rq.query
    q = Query(marker=params.get("marker") or None)
    raw = params.get("limit")
    if raw not in (None, ""):
        try:
            limit = int(raw)
        except ValueError:
            raise BadRequest(f"Invalid value for limit: {raw}") from None
        if limit <= 0:
            raise BadRequest("Limit must be positive")
        q.limit = min(limit, max_limit)
    else:
        q.limit = max_limit
    sort_key = params.get("sort_key", "id")
    sort_dir = params.get("sort_dir", "asc")
    if sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {sort_dir}. Acceptable values are 'asc' or 'desc'")
    if sort_key in invalid_sort or (sort_key != "id" and sort_key not in listing.sort_keys):
        raise BadRequest(f"The sort_key value {sort_key} is an invalid field for sorting")
    q.sort = [("created_at", sort_dir)] if sort_key == "id" else [(sort_key, sort_dir)]
    fields = params.get("fields")
    if fields is not None:
        require(ctx, v.FIELDS)
        q.fields = [f for f in fields.split(",") if f]
    return q


def list_fields(rq: ApiRequest, q: Query, known: tuple[str, ...], default: tuple[str, ...]) -> Any:
    """get_request_return_fields: ?fields= (each known), or every field with ?detail=true, or the
    collection's short default; both at once is 400."""
    detail = bool(bool_param(rq, "detail"))
    if detail and q.fields:
        raise BadRequest("Can not specify ?detail=True and fields in the same request.")
    bad = [f for f in q.fields if f not in known]
    if bad:
        raise BadRequest(f'Field(s) "{", ".join(bad)}" are not valid')
    return q.fields or (None if detail else default)


def name_free(conn: Connection, table: sa.Table, name: str, own: str | None, what: str) -> None:
    """409 when another row of `table` (not `own`) has this name: `what` is "a runbook", ..."""
    found = conn.execute(sa.select(table.c.uuid).where(table.c.name == name)).scalar()
    if found and found != own:
        raise Conflict(f"{what[0].upper()}{what[1:]} with name {name} already exists.")


def duplicate_steps(steps: list[dict[str, Any]]) -> str:
    """The (interface, step) pairs named more than once, as ironic lists them ("" when none)."""
    counts = collections.Counter((s["interface"], s["step"]) for s in steps)
    return "; ".join(sorted(f"interface: {i}, step: {st}" for (i, st), n in counts.items() if n > 1))


def find_by_ident(conn: Connection, table: sa.Table, ident: str, not_found: str, invalid: str) -> Any:
    """A UUID names a row by its uuid, a logical name by its name; anything else is the 400 `invalid`."""
    if is_uuid(ident):
        col = table.c.uuid
    elif NAME_RE.match(ident):
        col = table.c.name
    else:
        raise BadRequest(invalid)
    row = conn.execute(sa.select(table).where(col == ident)).mappings().first()
    if row is None:
        raise NotFound(not_found)
    return row


def page(conn: Connection, listing: Listing, stmt: sa.Select, q: Query,
         not_found: Callable[[str], ApiError]) -> tuple[list[Any], bool]:
    return listing.page(conn, stmt, q, marker_missing=not_found)


def next_link(ctx: Context, rq: ApiRequest, resource: str, marker: str, limit: int | None,
              path: str | None = None) -> str:
    """collection.get_next: the other query parameters first, then limit and marker."""
    items = [(k, val) for k in rq.query if k not in ("marker", "limit") for val in rq.query.getlist(k)]
    items += [("limit", limit), ("marker", marker)]
    return build_url(public_url(ctx, rq), path or resource, "?" + urlencode(items))


def collection(ctx: Context, rq: ApiRequest, key: str, items: list[dict[str, Any]], more: bool,
               q: Query, path: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {key: items}
    if more and items:
        body["next"] = next_link(ctx, rq, key, items[-1]["uuid"], q.limit, path)
    return body


def bool_param(rq: ApiRequest, name: str) -> bool | None:
    raw = rq.query.get(name)
    if raw is None:
        return None
    low = raw.lower()
    if low in ("true", "1", "yes", "on", "t", "y"):
        return True
    if low in ("false", "0", "no", "off", "f", "n"):
        return False
    raise BadRequest(f"Invalid value for {name}: {raw}")


# --- JSON patch ----------------------------------------------------------------
_PATH_RE = re.compile(r"^(/[\w~.:-]+)+$")


def check_patch(patch: Any) -> list[dict[str, Any]]:
    if not isinstance(patch, list):
        raise BadRequest("Invalid input for field/attribute patch. Value: '%s'. Expected a non-empty list of "
                         "patch operations" % (patch,))
    for op in patch:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove"):
            raise BadRequest(f"Invalid input for field/attribute patch. Value: '{op}'. "
                             "Unsupported operation")
        path = op.get("path")
        if not isinstance(path, str) or not _PATH_RE.match(path):
            raise BadRequest(f"Invalid input for field/attribute patch. Value: '{op}'. Invalid path")
        if op["op"] in ("add", "replace") and "value" not in op:
            raise BadRequest(f"Invalid input for field/attribute patch. Value: '{op}'. "
                             "'add' and 'replace' operations need a value")
    return patch


def allowed_paths(patch: list[dict[str, Any]], allowed_fields: list[str]) -> set[str]:
    fields = set()
    for op in patch:
        top = op["path"].split("/")[1]
        if top not in allowed_fields:
            raise BadRequest(f"Cannot patch {op['path']}. Only the following can be updated: "
                             f"{', '.join(allowed_fields)}")
        fields.add(top)
    return fields


def apply_patch(doc: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    for op in patch:
        if op["op"] == "add" and op["path"].count("/") == 1 and op["path"].lstrip("/") not in doc:
            raise BadRequest(f"Adding a new attribute ({op['path']}) to the root of the resource is not allowed")
    doc = copy.deepcopy(doc)
    for op in patch:
        try:
            doc = jsonpatch.apply_patch(doc, jsonpatch.JsonPatch([op]))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, IndexError) as exc:
            raise BadRequest(f"Couldn't apply patch '{op}'. Reason: {exc}") from None
    return doc
