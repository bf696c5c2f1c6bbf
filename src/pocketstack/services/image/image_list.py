"""The image list query: Glance's visibility rules, filters, sort and marker paging, all in SQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core.clock import parse_isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.listing import Listing, Query
from pocketstack.services.image.tables import image_members, image_properties, image_tags, images

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at")
LISTING = Listing(table=images, sort_keys=set(SORT_KEYS), default_sort=[("created_at", "desc")],
                  max_limit=1000, default_limit=25)
VISIBILITIES = ("community", "public", "private", "shared", "all")
MEMBER_STATUSES = ("pending", "accepted", "rejected", "all")
RESERVED = {"limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "tag", "visibility",
            "size_min", "size_max", "created_at", "updated_at", "protected", "os_hidden"}
IN_COLUMNS = ("id", "name", "status", "container_format", "disk_format", "owner")
# other image columns: an exact match, as Glance filters on any column of its Image model
INT_COLUMNS = ("size", "virtual_size", "min_ram", "min_disk")
TEXT_COLUMNS = ("checksum", "os_hash_algo", "os_hash_value")
OPS = {"eq": "__eq__", "neq": "__ne__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}
_BOOL = {"true": True, "false": False}


# --- visibility ------------------------------------------------------------------
def _member(ctx: Context, status: str) -> Any:
    cond = [image_members.c.image_id == images.c.id, image_members.c.member == ctx.project_id]
    if status != "all":
        cond.append(image_members.c.status == status)
    return sa.and_(images.c.visibility == "shared", sa.exists().where(*cond))


def visibility_clause(ctx: Context, visibility: str | None, member_status: str) -> Any:
    owned = images.c.owner == ctx.project_id
    if ctx.is_admin:
        if visibility in (None, "all"):
            return sa.true()
        if visibility == "shared" and member_status != "all":
            return sa.and_(images.c.visibility == "shared", sa.or_(owned, _member(ctx, member_status)))
        return images.c.visibility == visibility
    if visibility is None:
        return sa.or_(owned, images.c.visibility == "public", _member(ctx, member_status))
    if visibility == "all":
        return sa.or_(owned, images.c.visibility.in_(["public", "community"]), _member(ctx, member_status))
    if visibility in ("public", "community"):
        return images.c.visibility == visibility
    if visibility == "private":
        return sa.and_(owned, images.c.visibility == "private")
    return sa.and_(images.c.visibility == "shared", sa.or_(owned, _member(ctx, member_status)))


# --- filters -----------------------------------------------------------------------
def _split_op(value: str) -> tuple[str, str]:
    op, sep, rest = value.partition(":")
    if sep and op in (*OPS, "in"):
        return op, rest
    return "eq", value


def _bool(key: str, value: str) -> bool:
    if value.lower() not in _BOOL:
        raise BadRequest(f"Invalid value for option {key}: {value}")
    return _BOOL[value.lower()]


def _int(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"Invalid value for option {key}: {value}") from None


def filter_clauses(params: Any) -> list[Any]:
    out: list[Any] = []
    for key in IN_COLUMNS:
        for value in params.getlist(key):
            op, arg = _split_op(value)
            if op == "in":
                out.append(images.c[key].in_([v.strip().strip('"') for v in arg.split(",")]))
            elif op == "eq":
                out.append(images.c[key] == arg)
            else:
                raise BadRequest(f"Unable to filter on a {key} with operator '{op}'.")
    for key in ("created_at", "updated_at"):
        for value in params.getlist(key):
            op, arg = _split_op(value)
            if op == "in":
                raise BadRequest(f"Unable to filter on a range with a non-numeric value: {value}")
            try:
                when = parse_isotime(arg)
            except ValueError:
                raise BadRequest(f"Unable to filter by {key}: invalid date-time {arg}") from None
            out.append(getattr(images.c[key], OPS[op])(when))
    for key in INT_COLUMNS:
        for value in params.getlist(key):
            out.append(images.c[key] == _int(key, value))
    for key in TEXT_COLUMNS:
        for value in params.getlist(key):
            out.append(images.c[key] == value)
    if params.get("size_min") is not None:
        out.append(images.c.size >= _int("size_min", params["size_min"]))
    if params.get("size_max") is not None:
        out.append(images.c.size <= _int("size_max", params["size_max"]))
    if params.get("protected") is not None:
        out.append(images.c.protected.is_(_bool("protected", params["protected"])))
    hidden = params.get("os_hidden")
    out.append(images.c.os_hidden.is_(_bool("os_hidden", hidden) if hidden is not None else False))
    for tag in params.getlist("tag"):
        out.append(sa.exists().where(image_tags.c.image_id == images.c.id, image_tags.c.value == tag.strip()))
    for key in params:
        if key in RESERVED or key in (*IN_COLUMNS, *INT_COLUMNS, *TEXT_COLUMNS) or key == "changes-since":
            continue
        for value in params.getlist(key):
            out.append(sa.exists().where(image_properties.c.image_id == images.c.id,
                                         image_properties.c.name == key, image_properties.c.value == value))
    if "changes-since" in params:
        raise BadRequest('The "changes-since" filter is no longer available on v2.')
    return out


# --- sorting and paging -------------------------------------------------------------
def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise BadRequest(f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}.")
    return key


def _sort_dir(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {direction}")
    return direction


def sorting(params: Any) -> list[tuple[str, str]]:
    if "sort" in params:
        if "sort_key" in params or "sort_dir" in params:
            raise BadRequest("Old and new sorting syntax cannot be combined")
        out = []
        for part in params["sort"].strip().split(","):
            key, _, direction = part.partition(":")
            out.append((_sort_key(key.strip()), _sort_dir(direction.strip() or "desc")))
        return out
    keys = [_sort_key(k.strip()) for k in params.getlist("sort_key")] or ["created_at"]
    dirs = [_sort_dir(d.strip()) for d in params.getlist("sort_dir")] or ["desc"]
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise BadRequest("Number of sort dirs does not match the number of sort keys")
    return [(k, dirs[i] if len(dirs) > 1 else dirs[0]) for i, k in enumerate(keys)]


def page(conn: Connection, ctx: Context, params: Any) -> tuple[list[dict[str, Any]], str | None]:
    visibility = params.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise BadRequest(f"Invalid visibility value: {visibility}")
    member_status = params.get("member_status", "accepted")
    if member_status not in MEMBER_STATUSES:
        raise BadRequest(f"Invalid status: {member_status}")
    q = Query(marker=params.get("marker") or None, sort=sorting(params))
    limit = params.get("limit")
    if limit is not None:
        try:
            q.limit = int(limit)
        except ValueError:
            raise BadRequest("limit param must be an integer") from None
        if q.limit < 0:
            raise BadRequest("limit param must be positive")
        q.limit = min(q.limit, LISTING.max_limit)
    else:
        q.limit = LISTING.default_limit
    stmt = sa.select(images).where(visibility_clause(ctx, visibility, member_status), *filter_clauses(params))
    rows, more = LISTING.page(conn, stmt, q, marker_missing=lambda m: BadRequest(f"No image found with ID {m}"))
    return [dict(r) for r in rows], (rows[-1]["id"] if more and rows else None)


def links(params: Any, next_marker: str | None) -> dict[str, str]:
    items = [(k, v) for k in params for v in params.getlist(k) if k != "marker"]
    query = urlencode(items)
    out = {"first": "/v2/images" + (f"?{query}" if query else ""), "schema": "/v2/schemas/images"}
    if next_marker:
        out["next"] = "/v2/images?" + urlencode([*items, ("marker", next_marker)])
    return out
