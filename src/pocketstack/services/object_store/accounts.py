"""Accounts: GET/HEAD/POST /v1/AUTH_<project_id> (api-ref: object-storage, Accounts).

Accounts are auto-created on first write, as keystone-backed Swift proxies do (account_autocreate).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden, MethodNotAllowed
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import (
    account_acl, acl, constraints, headers, listing, request, state, version_listing)
from pocketstack.services.object_store.tables import containers

QUOTA_KEYS = ("x-account-meta-quota-bytes", "x-account-meta-quota-count", "x-account-quota-bytes",
              "x-account-quota-count")


OWNER_ONLY = ("X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2")   # swift_owner_headers


# --- views -----------------------------------------------------------------------
def account_headers(row: dict[str, Any] | None, account: str, owner: bool = False) -> dict[str, str]:
    row = row or {"created": headers.now(), "meta": {}, "container_count": 0, "object_count": 0,
                  "bytes_used": 0}
    out = {"X-Account-Container-Count": str(row["container_count"]),
           "X-Account-Object-Count": str(row["object_count"]),
           "X-Account-Bytes-Used": str(row["bytes_used"]),
           "X-Account-Storage-Policy-Policy-0-Container-Count": str(row["container_count"]),
           "X-Account-Storage-Policy-Policy-0-Object-Count": str(row["object_count"]),
           "X-Account-Storage-Policy-Policy-0-Bytes-Used": str(row["bytes_used"]),
           "X-Timestamp": headers.x_timestamp(row["created"]),
           "X-Put-Timestamp": headers.x_timestamp(row["created"]),
           "Accept-Ranges": "bytes"}
    out.update(headers.meta_headers(row["meta"]))
    if owner:
        out.update(account_acl.show(row["meta"]))
    else:
        for key in OWNER_ONLY:
            out.pop(key, None)
    return out


# --- logic -----------------------------------------------------------------------
def update_account(ctx: Context, account: str, rq_headers: Any) -> None:
    constraints.check_metadata(rq_headers, "account")
    lowered = {k.lower() for k in rq_headers}
    if any(k in lowered or "x-remove-" + k[2:] in lowered for k in QUOTA_KEYS) \
            and not acl.is_reseller(ctx):
        raise Forbidden("Forbidden")
    for key in QUOTA_KEYS:
        quota = rq_headers.get(key)
        if quota and not quota.isdigit():
            raise constraints.bad("Invalid quota value")
    with db.session() as conn:
        row = state.ensure_account(conn, account)
        meta = headers.merge_meta(row["meta"], rq_headers, "account", QUOTA_KEYS[2:])
        account_acl.apply(meta, rq_headers)
        constraints.check_stored_metadata(meta, "account")
        state.set_account_meta(conn, account, meta)


# --- routes ----------------------------------------------------------------------
def show_account(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.LIST)
    fmt = listing.wanted_format(rq)
    opts = listing.params(rq, constraints.ACCOUNT_LISTING_LIMIT)
    with db.reader() as conn:
        row = state.get_account(conn, t.account)
        items = [] if rq.method == "HEAD" else state.list_names(
            conn, containers, version_listing.visible([containers.c.account == t.account]), **opts)
        version_listing.add_version_bytes(conn, t.account, items)
    hdrs = account_headers(row, t.account, acl.is_owner(ctx, t.account))
    if rq.method == "HEAD":
        return request.respond(t, 204, hdrs=hdrs, media_type="text/plain; charset=utf-8")
    body, media = listing.render(fmt, "account", t.account, [listing.container_entry(i) for i in items])
    if not items and fmt == "plain":
        return request.respond(t, 204, hdrs=hdrs, media_type=media)
    return request.respond(t, 200, body, {**hdrs, "Content-Type": media})


def update_account_metadata(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.ACCOUNT)
    update_account(ctx, t.account, rq.headers)
    return request.respond(t, 204)


def account_not_allowed(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.ACCOUNT)
    raise MethodNotAllowed("The method is not allowed for the requested URL.", headers={"Allow": "HEAD, GET, POST"})
