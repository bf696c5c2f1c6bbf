"""Paging, sorting and filtering of collections, pushed into SQL, with next links.

A collection declares its sort keys and filters once (`Listing`); `page()` applies the request's
limit/marker/sort_key/sort_dir/filters to a select. Marker paging is keyset paging over the sort
keys plus the id, so pages stay stable while rows are added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core.errors import BadRequest, NotFound


@dataclass
class Query:
    limit: int | None = None
    marker: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)
    page_reverse: bool = False
    filters: dict[str, list[str]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


Filter = sa.Column | Callable[[list[str]], Any]


@dataclass
class Listing:
    table: sa.Table
    sort_keys: set[str]
    filters: dict[str, Filter] = field(default_factory=dict)
    default_sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])
    id_key: str = "id"
    max_limit: int = 1000
    default_limit: int | None = None

    def parse(self, params: Mapping[str, Any], *, reserved: set[str] = frozenset()) -> Query:
        getlist = params.getlist if hasattr(params, "getlist") else (lambda k: [params[k]])
        q = Query(marker=params.get("marker") or None,
                  page_reverse=str(params.get("page_reverse", "")).lower() == "true",
                  fields=[f for v in getlist("fields") for f in v.split(",") if f])
        if params.get("limit") not in (None, ""):
            try:
                q.limit = int(params["limit"])
            except ValueError:
                raise BadRequest(f"Invalid limit: {params['limit']}") from None
            if q.limit < 0:
                raise BadRequest("limit must be >= 0")
        q.limit = min(q.limit, self.max_limit) if q.limit is not None else self.default_limit
        keys = [k for v in getlist("sort_key") for k in v.split(",") if k] if "sort_key" in params else []
        dirs = [d for v in getlist("sort_dir") for d in v.split(",") if d] if "sort_dir" in params else []
        for i, key in enumerate(keys):
            if key not in self.sort_keys:
                raise BadRequest(f"Invalid sort key: {key}", kind="sort_key")
            direction = dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "asc")
            if direction not in ("asc", "desc"):
                raise BadRequest(f"Invalid sort direction: {direction}", kind="sort_dir")
            q.sort.append((key, direction))
        for key in params:
            if key in self.filters and key not in reserved:
                q.filters[key] = getlist(key)
        return q

    def select(self, stmt: sa.Select, q: Query) -> sa.Select:
        for key, values in q.filters.items():
            f = self.filters[key]
            stmt = stmt.where(f(values) if callable(f) and not isinstance(f, sa.Column) else
                              (f == values[0] if len(values) == 1 else f.in_(values)))
        return stmt

    def order(self, q: Query) -> list[tuple[str, str]]:
        sort = list(q.sort or self.default_sort)
        if self.id_key not in [k for k, _ in sort]:
            sort.append((self.id_key, sort[-1][1] if sort else "asc"))
        if q.page_reverse:
            sort = [(k, "desc" if d == "asc" else "asc") for k, d in sort]
        return sort

    def page(self, conn: Connection, stmt: sa.Select, q: Query,
             marker_missing: Callable[[str], Exception] | None = None) -> tuple[list[Any], bool]:
        """Rows of one page, and whether more rows follow it."""
        stmt = self.select(stmt, q)
        sort = self.order(q)
        if q.marker:
            marker_row = conn.execute(sa.select(self.table).where(
                self.table.c[self.id_key] == q.marker)).mappings().first()
            if marker_row is None:
                raise (marker_missing(q.marker) if marker_missing else
                       NotFound(f"Marker {q.marker} could not be found."))
            stmt = stmt.where(_after(self.table, sort, marker_row))
        stmt = stmt.order_by(*[self.table.c[k].asc() if d == "asc" else self.table.c[k].desc()
                               for k, d in sort])
        if q.limit is not None:
            stmt = stmt.limit(q.limit + 1)
        rows = list(conn.execute(stmt).mappings())
        more = q.limit is not None and len(rows) > q.limit
        rows = rows[: q.limit] if q.limit is not None else rows
        if q.page_reverse:
            rows.reverse()
        return rows, more


def _after(table: sa.Table, sort: list[tuple[str, str]], marker: Mapping[str, Any]) -> Any:
    """The keyset condition: rows strictly after the marker in the given order."""
    clauses = []
    for i, (key, direction) in enumerate(sort):
        equal = [table.c[k] == marker[k] for k, _ in sort[:i]]
        col, value = table.c[key], marker[key]
        if value is None:
            beyond = col.isnot(None) if direction == "asc" else sa.false()
        else:
            beyond = col > value if direction == "asc" else sa.or_(col < value, col.is_(None))
        clauses.append(sa.and_(*equal, beyond))
    return sa.or_(*clauses)


def next_link(base: str, params: Mapping[str, Any], marker: str, *, drop: tuple[str, ...] = ()) -> str:
    """The URL of the next page: the same query with a new marker."""
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: [params[k]])
    items = [(k, v) for k in params if k not in ("marker", *drop) for v in getlist(k)]
    items.append(("marker", marker))
    return f"{base}?{urlencode(items)}"


_INEXACT = {"contains": ("%{}%", False), "icontains": ("%{}%", True), "startswith": ("{}%", False),
            "istartswith": ("{}%", True), "endswith": ("%{}", False), "iendswith": ("%{}", True)}
_TRUE = {"true", "1", "yes", "on", "t", "y"}


def attribute_filters(table: sa.Table, params: Mapping[str, Any], allowed: set[str],
                      booleans: set[str] = frozenset()) -> list[Any]:
    """keystone-style query filters: `name=x`, `name__icontains=x`, `enabled=false`."""
    clauses = []
    for key in params:
        attr, _, op = key.partition("__")
        if attr not in allowed:
            continue
        value = params[key]
        col = table.c[attr]
        if attr in booleans:
            clauses.append(col.is_(str(value).lower() in _TRUE if value != "" else True))
        elif op in _INEXACT:
            pattern, ci = _INEXACT[op]
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = pattern.format(escaped)
            clauses.append(col.ilike(like, escape="\\") if ci else col.like(like, escape="\\"))
        elif not op:
            clauses.append(col == value)
    return clauses
