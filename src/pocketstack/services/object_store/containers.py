"""Containers: PUT/POST/GET/HEAD/DELETE /v1/{account}/{container} (api-ref: object-storage, Containers)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, constraints, headers, listing, request, state, version_listing
from pocketstack.services.object_store.tables import objects

QUOTA_KEYS = ("x-container-meta-quota-bytes", "x-container-meta-quota-count")
# Swift's swift_owner_headers (container side): hidden from, and dropped when sent by, non-owners.
OWNER_ONLY = ("x-container-read", "x-container-write", "x-container-sync-key", "x-container-sync-to",
              "x-container-meta-temp-url-key", "x-container-meta-temp-url-key-2")


# --- schemas ---------------------------------------------------------------------
def check_headers(rq_headers: Any) -> dict[str, str]:
    """400 for bad metadata, ACLs, quotas or versioning headers; returns the cleaned headers."""
    constraints.check_metadata(rq_headers, "container")
    cleaned = {k.lower(): v for k, v in rq_headers.items()}
    for key in ("x-container-read", "x-container-write"):
        if key in cleaned:
            cleaned[key] = acl.clean(cleaned[key])
    for key in QUOTA_KEYS:
        if cleaned.get(key) and not cleaned[key].isdigit():
            raise constraints.bad("Invalid quota value")
    if cleaned.get("x-versions-location") and cleaned.get("x-history-location"):
        raise constraints.bad("Only one of X-Versions-Location or X-History-Location may be specified")
    for key in ("x-versions-location", "x-history-location"):
        if cleaned.get(key):
            location = cleaned[key].split("/")[0]
            if not location:
                raise constraints.bad(f"{key} header must be of the form <container name>")
    policy = cleaned.get("x-storage-policy")
    if policy and policy.lower() != "policy-0":
        raise constraints.bad(f'Invalid X-Storage-Policy "{policy}"')
    return cleaned


# --- views -----------------------------------------------------------------------
def container_headers(ctx: Context, account: str, row: dict[str, Any]) -> dict[str, str]:
    meta = dict(row["meta"])
    if not acl.is_owner(ctx, account):
        for key in OWNER_ONLY:
            meta.pop(key, None)
    out = {"X-Container-Object-Count": str(row["object_count"]),
           "X-Container-Bytes-Used": str(row["bytes_used"]),
           "X-Timestamp": headers.x_timestamp(row["created"]),
           "X-Put-Timestamp": headers.x_timestamp(row["put_timestamp"]),
           "Last-Modified": headers.http_date(row["put_timestamp"]),
           "X-Storage-Policy": "Policy-0", "Accept-Ranges": "bytes"}
    out.update(headers.meta_headers(meta))
    return out


# --- logic -----------------------------------------------------------------------
def owner_headers(ctx: Context, account: str, cleaned: dict[str, str]) -> dict[str, str]:
    """Swift drops the owner-only headers (ACLs, sync key) a non-owner sends (swift_owner_headers)."""
    if acl.is_owner(ctx, account):
        return cleaned
    def plain(key: str) -> str:
        return "x-" + key[len("x-remove-"):] if key.startswith("x-remove-") else key
    return {k: v for k, v in cleaned.items() if plain(k) not in OWNER_ONLY}


def load(conn: Any, account: str, name: str) -> dict[str, Any]:
    row = state.get_container(conn, account, name)
    if row is None:
        raise NotFound()
    return row


def container_meta(account: str, name: str) -> dict[str, Any] | None:
    with db.reader() as conn:
        row = state.get_container(conn, account, name)
    return None if row is None else row["meta"]


def put_container(account: str, name: str, cleaned: dict[str, str]) -> bool:
    sysmeta = headers.CONTAINER_SYSMETA
    with db.session() as conn:
        row = state.get_container(conn, account, name)
        meta = headers.merge_meta(row["meta"] if row else {}, cleaned, "container", sysmeta)
        meta = version_listing.apply_headers(conn, account, name, row["meta"] if row else {}, meta, cleaned)
        constraints.check_stored_metadata(meta, "container")
        if row is None:
            state.create_container(conn, account, name, meta)
            return True
        state.set_container_meta(conn, account, name, meta)
        return False


def delete_container(account: str, name: str) -> None:
    with db.session() as conn:
        row = load(conn, account, name)
        version_listing.check_delete(conn, account, row)
        if row["object_count"] > 0:
            raise Conflict("There was a conflict when trying to complete your request.")
        state.delete_container(conn, account, name)


# --- routes ----------------------------------------------------------------------
def create_container(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.OWNER)
    created = put_container(t.account, t.container or "", owner_headers(ctx, t.account, check_headers(rq.headers)))
    return request.respond(t, 201 if created else 202)


def update_container_metadata(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.OWNER)
    cleaned = owner_headers(ctx, t.account, check_headers(rq.headers))
    with db.session() as conn:
        row = load(conn, t.account, t.container or "")
        meta = headers.merge_meta(row["meta"], cleaned, "container", headers.CONTAINER_SYSMETA)
        meta = version_listing.apply_headers(conn, t.account, t.container or "", row["meta"], meta, cleaned)
        constraints.check_stored_metadata(meta, "container")
        state.set_container_meta(conn, t.account, t.container or "", meta)
    return request.respond(t, 204)


def show_container(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    name = t.container or ""
    acl.authorize(ctx, t.account, acl.LIST, container_meta(t.account, name), request.referrer(rq))
    fmt = listing.wanted_format(rq)
    opts = listing.params(rq, constraints.CONTAINER_LISTING_LIMIT)
    with db.reader() as conn:
        row = load(conn, t.account, name)
        items = [] if rq.method == "HEAD" else state.list_names(
            conn, objects, [objects.c.account == t.account, objects.c.container == name], **opts)
        hdrs = {**container_headers(ctx, t.account, row), **version_listing.container_headers(conn, t.account, row)}
    if rq.method == "HEAD":
        return request.respond(t, 204, hdrs=hdrs, media_type="text/plain; charset=utf-8")
    versioned = version_listing.configured(row["meta"]) is not None
    body, media = listing.render(fmt, "container", name, [
        version_listing.decorate_entry(t.account, name, i, listing.object_entry(i)) if versioned
        else listing.object_entry(i) for i in items])
    if not items and fmt == "plain":
        return request.respond(t, 204, hdrs=hdrs, media_type=media)
    return request.respond(t, 200, body, {**hdrs, "Content-Type": media})


def remove_container(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    acl.authorize(ctx, t.account, acl.OWNER)
    delete_container(t.account, t.container or "")
    return request.respond(t, 204)
