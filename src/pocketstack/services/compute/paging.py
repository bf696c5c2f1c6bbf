"""Nova's limit/marker paging and collection links (nova/api/openstack/common.py get_limit_and_marker,
ViewBuilder._get_collection_links): a next link whenever a page is full."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.listing import next_link
from pocketstack.core.routing import ApiRequest

MAX_LIMIT = 1000


def limit_and_marker(rq: ApiRequest) -> tuple[int, str | None]:
    raw = rq.query.get("limit")
    limit = MAX_LIMIT
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise BadRequest("limit param must be an integer") from None
        if limit < 0:
            raise BadRequest("limit param must be positive")
        limit = min(limit, MAX_LIMIT)
    return limit, rq.query.get("marker") or None


def collection_links(ctx: Context, rq: ApiRequest, path: str, items: list[dict[str, Any]], limit: int,
                     key: str = "id") -> list[dict[str, str]]:
    if not items or len(items) != limit:
        return []
    base = f"{ctx.base_url}{rq.service_prefix}/v2.1/{path}"
    return [{"rel": "next", "href": next_link(base, rq.query, str(items[-1][key]))}]


def page_after(items: list[dict[str, Any]], marker: str | None, limit: int, key: str = "id",
               missing: str = "marker [{}] not found") -> list[dict[str, Any]]:
    """Paging of a small, already sorted list (flavors, keypairs, groups): rows after the marker."""
    if marker is not None:
        ids = [str(i[key]) for i in items]
        if marker not in ids:
            raise BadRequest(missing.format(marker))
        items = items[ids.index(marker) + 1:]
    return items[:limit]
