"""Machinery every Networking collection shares (neutron/api/v2/base.py): filters validated against
the resource's attributes, fields=, sorting and pagination with `<plural>_links`, tag filters,
standard attributes (tags, timestamps, revision_number with If-Match), bodies and policy checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, notifications
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound, PreconditionFailed
from pocketstack.core.listing import Listing
from pocketstack.core.routing import ApiRequest, Service
from pocketstack.services.network.tables import tags as tags_table

RESERVED = {"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir",
            "tags", "tags-any", "not-tags", "not-tags-any"}
STANDARD = {"id", "project_id", "tenant_id", "description", "created_at", "updated_at", "revision_number",
            "tags"}
_TRUE, _FALSE = {"true", "1", "yes", "y", "t", "on"}, {"false", "0", "no", "n", "f", "off"}
_service: Service | None = None

Renderer = Callable[[Connection, Context, list[Any]], list[dict[str, Any]]]


# --- policy --------------------------------------------------------------------------
def bind(service: Service) -> None:
    global _service
    _service = service


def ensure_policy() -> None:
    """Bootstrap runs before the app mounts the service: its checks (all made as the admin) pass
    without an enforcer (core.policy.BootstrapPolicy)."""
    from pocketstack.core.policy import BootstrapPolicy
    assert _service is not None
    if _service.policy is None:
        _service.policy = BootstrapPolicy(_service.type, _service.policies)


def check(ctx: Context, rule_name: str, target: dict[str, Any]) -> bool:
    assert _service is not None and _service.policy is not None
    return _service.policy.check(rule_name, target, ctx)


def enforce(ctx: Context, rule_name: str, target: dict[str, Any]) -> None:
    assert _service is not None and _service.policy is not None
    _service.policy.enforce(rule_name, target, ctx)


def listable(ctx: Context, rule_name: str) -> bool:
    """quirk: neutron never refuses a list. Its policy hook checks `get_<resource>` on each item
    after the query and drops the ones it denies, so a caller an admin-only rule refuses gets an
    empty list, 200 (neutron/pecan_wsgi/hooks/policy_enforcement.py, PolicyHook.after)."""
    return check(ctx, rule_name, {"project_id": ctx.project_id})


def enforce_found(ctx: Context, rule_name: str, target: dict[str, Any], owner: str | None) -> None:
    """neutron's policy hook on PUT and DELETE: the item is fetched first (404 when missing), and
    a caller the rule denies is told it does not exist unless the item is the caller's own
    project's (PolicyHook.before): a project-less item (a flavor, a service profile, an agent) is
    never "forbidden" to a user, only "not found"."""
    if check(ctx, rule_name, target):
        return
    if owner and owner == ctx.project_id:
        enforce(ctx, rule_name, target)
    raise NotFound("The resource could not be found.", kind="HTTPNotFound")


def enforce_attrs(ctx: Context, action: str, resource: str, attrs: Mapping[str, Any], target: dict[str, Any],
                  defaults: Mapping[str, Any]) -> None:
    """`create_network:shared` and friends, when the attribute is set to something other than its default."""
    assert _service is not None and _service.policy is not None
    for key, value in attrs.items():
        name = f"{action}_{resource}:{key}"
        if name in _service.policy.names and (key not in defaults or value != defaults[key]):
            enforce(ctx, name, target)


# --- values --------------------------------------------------------------------------
def to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)) and str(value).lower() in _TRUE | _FALSE:
        return str(value).lower() in _TRUE
    raise BadRequest(f"Invalid input for {name}. Reason: '{value}' cannot be converted to boolean.",
                     kind="InvalidInput")


def invalid(name: str, reason: str) -> BadRequest:
    return BadRequest(f"Invalid input for {name}. Reason: {reason}.", kind="InvalidInput")


def column_filters(table: sa.Table, names: Mapping[str, str]) -> dict[str, Callable[[list[str]], Any]]:
    """attribute -> SQL filter on its column, converting values to the column's type."""
    out: dict[str, Callable[[list[str]], Any]] = {}
    for attr, colname in names.items():
        col = table.c[colname]
        if isinstance(col.type, sa.Boolean):
            out[attr] = lambda vs, col=col, attr=attr: col.in_([to_bool(v, attr) for v in vs])
        elif isinstance(col.type, sa.Integer):
            out[attr] = lambda vs, col=col, attr=attr: col.in_([_to_int(v, attr) for v in vs])
        else:
            out[attr] = lambda vs, col=col: col.in_(vs)
    return out


def _to_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise invalid(name, f"'{value}' is not an integer") from None


# --- collections ---------------------------------------------------------------------
@dataclass
class Collection:
    singular: str                                 # "network"
    plural: str                                   # "networks"
    table: sa.Table
    kind: str                                     # "Network": NetworkNotFound
    attributes: set[str]                          # every attribute of the rendered resource
    render: Renderer
    visible: Callable[[Context], Any] | None = None   # SQL clause limiting what a non-admin sees
    filters: dict[str, Any] = field(default_factory=dict)
    sort_keys: set[str] = field(default_factory=set)
    not_found_message: str = "{kind} {id} could not be found."
    listing: Listing = field(init=False)

    def __post_init__(self) -> None:
        self.listing = Listing(self.table, self.sort_keys | {"id"}, self.filters, default_sort=[("id", "asc")])

    def not_found(self, resource_id: str) -> NotFound:
        return NotFound(self.not_found_message.format(kind=self.kind, id=resource_id),
                        kind=f"{self.kind}NotFound")


def load(conn: Connection, coll: Collection, ctx: Context, resource_id: str) -> dict[str, Any]:
    """The row, or the collection's NotFound when it does not exist or the caller may not see it."""
    stmt = sa.select(coll.table).where(coll.table.c.id == resource_id)
    if not ctx.is_admin and coll.visible is not None:
        stmt = stmt.where(coll.visible(ctx))
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise coll.not_found(resource_id)
    return dict(row)


def list_resources(coll: Collection, ctx: Context, rq: ApiRequest, *where: Any) -> dict[str, Any]:
    params = rq.query
    unknown = [k for k in params if k not in RESERVED and k not in coll.attributes]
    if unknown:
        raise BadRequest(f"{unknown} is invalid attribute for filtering")
    if "tenant_id" in params and "project_id" in params:
        raise BadRequest("Both tenant_id and project_id passed as filters.", kind="TenantIdProjectIdFilterConflict")
    q = coll.listing.parse(params, reserved=RESERVED)
    if q.limit == 0:
        q.limit = None
    stmt = sa.select(coll.table).where(*where, *tag_filters(coll.table, params))
    if not ctx.is_admin and coll.visible is not None:
        stmt = stmt.where(coll.visible(ctx))
    with db.reader() as conn:
        rows, _more = coll.listing.page(conn, stmt, q, marker_missing=coll.not_found)
        items = coll.render(conn, ctx, rows) if rows else []
    for key in params:
        if key not in RESERVED and key not in coll.filters:
            wanted = params.getlist(key)
            items = [i for i in items if _matches(i.get(key), wanted)]
    body: dict[str, Any] = {coll.plural: [select_fields(i, q.fields) for i in items]}
    if q.limit:
        body[f"{coll.plural}_links"] = page_links(ctx, rq, items, q.limit, q.page_reverse)
    return body


def _matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, bool):
        return str(value).lower() in [w.lower() for w in wanted]
    if isinstance(value, (list, dict)):
        return True
    return ("" if value is None else str(value)) in wanted


def page_links(ctx: Context, rq: ApiRequest, items: list[dict[str, Any]], limit: int,
               page_reverse: bool) -> list[dict[str, str]]:
    """neutron/api/api_common.py get_pagination_links: next unless a short forward page, previous
    unless a short reverse page."""
    base = f"{ctx.base_url}{rq.path}"
    params = [(k, v) for k in rq.query for v in rq.query.getlist(k) if k not in ("marker", "page_reverse")]
    links = []
    if not (len(items) < limit and not page_reverse):
        marker = [("marker", items[-1]["id"])] if items else []
        links.append({"rel": "next", "href": f"{base}?{urlencode(params + marker)}"})
    if not (len(items) < limit and page_reverse):
        marker = [("marker", items[0]["id"])] if items else []
        links.append({"rel": "previous", "href": f"{base}?{urlencode(params + marker + [('page_reverse', 'True')])}"})
    return links


def select_fields(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in fields} if fields else item


def show_resource(coll: Collection, ctx: Context, rq: ApiRequest, resource_id: str) -> dict[str, Any]:
    with db.reader() as conn:
        item = coll.render(conn, ctx, [load(conn, coll, ctx, resource_id)])[0]
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    return {coll.singular: select_fields(item, fields)}


def notify_created(ctx: Context, singular: str, items: list[dict[str, Any]]) -> None:
    """<resource>.create.end with the resource as the API showed it (neutron's base controller); after
    the commit."""
    for item in items:
        notifications.notify(ctx, "network", f"{singular}.create.end", {singular: item})


def notify_deleted(conn: Connection, coll: Collection, ctx: Context, row: dict[str, Any]) -> None:
    """<resource>.delete.start and .end ({<resource>_id, <resource>: view}), once `conn` commits."""
    if not notifications.enabled():
        return
    name = coll.singular
    view = coll.render(conn, ctx, [row])[0]

    def send() -> None:
        notifications.notify(ctx, "network", f"{name}.delete.start", {f"{name}_id": row["id"]})
        notifications.notify(ctx, "network", f"{name}.delete.end", {f"{name}_id": row["id"], name: view})
    db.after_commit(conn, send)


# --- tags ----------------------------------------------------------------------------
def _tag_values(params: Any, key: str) -> list[str]:
    return [t for v in params.getlist(key) for t in v.split(",") if t]


MAX_TAGS, MAX_TAG_LENGTH = 50, 255


def validate_tags(tags: Any) -> list[str]:
    """A list of unique non-empty strings of at most 255 characters (validate_list_of_unique_strings)."""
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(
            isinstance(x, str) and 0 < len(x) <= MAX_TAG_LENGTH for x in tags):
        raise BadRequest(f"Invalid input for tags. Reason: '{tags}' is not a valid list of tags.",
                         kind="InvalidInput")
    return list(dict.fromkeys(tags))


def tag_filters(table: sa.Table, params: Any) -> list[Any]:
    def has(tag: str) -> Any:
        return sa.exists().where(tags_table.c.resource_id == table.c.id, tags_table.c.tag == tag)
    clauses = []
    if wanted := _tag_values(params, "tags"):
        clauses.append(sa.and_(*[has(t) for t in wanted]))
    if wanted := _tag_values(params, "tags-any"):
        clauses.append(sa.or_(*[has(t) for t in wanted]))
    if wanted := _tag_values(params, "not-tags"):
        clauses.append(sa.not_(sa.and_(*[has(t) for t in wanted])))
    if wanted := _tag_values(params, "not-tags-any"):
        clauses.append(sa.not_(sa.or_(*[has(t) for t in wanted])))
    return clauses


def tags_of(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    rows = conn.execute(sa.select(tags_table.c.resource_id, tags_table.c.tag)
                        .where(tags_table.c.resource_id.in_(ids)).order_by(tags_table.c.tag))
    for resource_id, tag in rows:
        out[resource_id].append(tag)
    return out


def set_tags(conn: Connection, resource_id: str, values: list[str]) -> None:
    conn.execute(tags_table.delete().where(tags_table.c.resource_id == resource_id))
    if values:
        conn.execute(tags_table.insert(), [{"resource_id": resource_id, "tag": t} for t in dict.fromkeys(values)])


# --- standard attributes -------------------------------------------------------------
def standard_view(row: Mapping[str, Any], tags: list[str] | None, *, named: bool = True) -> dict[str, Any]:
    out = {"id": row["id"]}
    if named:
        out["name"] = row["name"]
    out.update({"project_id": row["project_id"], "tenant_id": row["project_id"],
                "description": row["description"], "created_at": isotime(row["created_at"]),
                "updated_at": isotime(row["updated_at"] or row["created_at"]),
                "revision_number": row["revision_number"]})
    if tags is not None:
        out["tags"] = tags
    return out


def check_revision(rq: ApiRequest, row: Mapping[str, Any]) -> None:
    """If-Match: revision_number=N (revision-if-match): 412 unless the row is at revision N."""
    header = rq.headers.get("if-match")
    if not header:
        return
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "revision_number":
            try:
                expected = int(value)
            except ValueError:
                raise BadRequest(f"Invalid If-Match value: {part.strip()}") from None
            if expected != row["revision_number"]:
                raise PreconditionFailed(f"Constrained to {expected}, but current revision is "
                                         f"{row['revision_number']}", kind="RevisionNumberConstraintFailed")


def touch(conn: Connection, table: sa.Table, resource_id: str, **values: Any) -> None:
    """Update a row, bumping its revision_number and updated_at."""
    conn.execute(table.update().where(table.c.id == resource_id).values(
        **values, revision_number=table.c.revision_number + 1, updated_at=utcnow()))


def new_row(**values: Any) -> dict[str, Any]:
    now = utcnow()
    return {"description": "", "revision_number": 0, "created_at": now, "updated_at": now, **values}


# --- bodies --------------------------------------------------------------------------
def bodies(rq: ApiRequest, singular: str, plural: str, allowed: set[str], *,
           bulk: bool = True) -> list[dict[str, Any]]:
    """The resource(s) of a create body ({singular: {...}} or, in bulk, {plural: [...]})."""
    body = rq.body
    if not isinstance(body, dict) or not body:
        raise BadRequest("Resource body required")
    if bulk and plural in body:
        items = body[plural]
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise BadRequest("Resources required")
        # an item may come wrapped, {"ports": [{"port": {...}}]}, as neutron's prepare_request_body allows
        items = [i[singular] if singular in i and isinstance(i[singular], dict) else i for i in items]
    elif isinstance(body.get(singular), dict):
        items = [body[singular]]
    else:
        raise BadRequest(f"Unable to find '{singular}' in request body")
    for item in items:
        unknown = sorted(set(item) - allowed - {"project_id", "tenant_id", "description", "tags"})
        if unknown:
            raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
        check_strings(item)
    return items


def check_strings(item: Mapping[str, Any]) -> None:
    """name and description: strings of at most 255 characters (NAME_FIELD_SIZE, DESCRIPTION_FIELD_SIZE)."""
    for key in ("name", "description"):
        if key in item and item[key] is not None and (not isinstance(item[key], str) or len(item[key]) > 255):
            raise invalid(key, f"'{item[key]}' is not a valid string")


def update_body(rq: ApiRequest, singular: str, allowed: set[str],
                read_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """The resource of a PUT body; an attribute that only a create sets (allow_put False) is refused
    after the unknown ones, as neutron's prepare_request_body does."""
    body = rq.body
    if not isinstance(body, dict) or not body:
        raise BadRequest("Resource body required")
    item = body.get(singular)
    if not isinstance(item, dict):
        raise BadRequest(f"Unable to find '{singular}' in request body")
    unknown = sorted(set(item) - allowed - {"description"} - set(read_only))
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for key in read_only:
        if key in item:
            raise BadRequest(f"Cannot update read-only attribute {key}")
    check_strings(item)
    return item


def body_first(target: Callable[[Context, ApiRequest], dict[str, Any]], singular: str,
               allowed: set[str], read_only: tuple[str, ...] = ()) -> Callable[[Context, ApiRequest], dict[str, Any]]:
    """A PUT's route target that validates the body before it loads the resource: neutron answers a
    bad attribute with 400 before it looks the resource up or checks policy."""
    def wrapped(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        update_body(rq, singular, allowed, read_only)
        return target(ctx, rq)
    return wrapped


def owner(ctx: Context, item: Mapping[str, Any]) -> str:
    project = item.get("project_id") or item.get("tenant_id")
    if item.get("project_id") and item.get("tenant_id") and item["project_id"] != item["tenant_id"]:
        raise BadRequest("Both tenant_id and project_id passed as filters.", kind="TenantIdProjectIdFilterConflict")
    return project or ctx.project_id or ""


def create_target(singular: str, plural: str) -> Callable[[Context, ApiRequest], dict[str, Any]]:
    """Route target of a create: the project the new resource(s) will belong to."""
    def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        body = rq.body if isinstance(rq.body, dict) else {}
        items = body.get(plural) if isinstance(body.get(plural), list) else [body.get(singular)]
        projects = {owner(ctx, i) for i in items if isinstance(i, dict)} or {ctx.project_id}
        if not ctx.is_admin and projects - {ctx.project_id}:
            # neutron_lib.api.attributes._validate_privileges, before any policy check
            raise BadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in "
                             "request requires admin privileges")
        if len(projects) > 1:
            return {"project_id": None}
        return {"project_id": projects.pop(), "network_project_id": None, "shared": False, "external": False}
    return target
