"""The container side of object versioning: X-Versions-Enabled on PUT/POST, the hidden versions
container's lifecycle and bytes, and ?versions listings (object_versioning.py has the object side).

A ?versions listing is always JSON, as Swift's (it bypasses listing_formats): the container's own
rows (a row without a version id is the 'null' version) merged with the hidden container's versions
and delete markers, each with version_id and is_latest; marker plus version_marker pages through.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import Conflict, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import acl, constraints, listing, request, state
from pocketstack.services.object_store.object_versioning import (
    CLIENT_HEADER, DELETE_MARKER, KEY_CONTAINER, KEY_ENABLED, KEY_ID, SEP, configured, decode, encode,
    hidden_name)
from pocketstack.services.object_store.tables import containers, objects

LEGACY_KEYS = ("x-versions-location", "x-history-location")


# --- container PUT/POST/DELETE -----------------------------------------------------
def apply_headers(conn: Connection, account: str, name: str, stored: dict[str, Any], meta: dict[str, Any],
                  cleaned: dict[str, str]) -> dict[str, Any]:
    """X-Versions-Enabled into sysmeta (creating the hidden container); 400 when mixed with legacy
    versioned writes or container sync, as Swift refuses both."""
    if CLIENT_HEADER in cleaned:
        if any(stored.get(k) for k in LEGACY_KEYS) or any(cleaned.get(k) for k in LEGACY_KEYS):
            raise constraints.bad("Cannot enable object versioning on a container that is already using the "
                                  "legacy versioned writes feature.")
        if stored.get("x-container-sync-to") or cleaned.get("x-container-sync-to"):
            raise constraints.bad("Cannot enable object versioning on a container configured as source of "
                                  "container syncing.")
        on = cleaned[CLIENT_HEADER].strip().lower() in ("true", "1", "yes", "on", "t", "y")
        meta[KEY_ENABLED] = "True" if on else "False"
        if on:
            hidden = hidden_name(name)
            if state.get_container(conn, account, hidden) is None:
                state.create_container(conn, account, hidden, {})
            meta[KEY_CONTAINER] = hidden
    elif stored.get(KEY_CONTAINER):
        if any(cleaned.get(k) for k in LEGACY_KEYS):
            raise constraints.bad("Cannot enable legacy versioned writes on a container that is using "
                                  "object versioning.")
        if cleaned.get("x-container-sync-to"):
            raise constraints.bad("Cannot configure container sync on a container with object versioning "
                                  "configured.")
    return meta


def check_delete(conn: Connection, account: str, row: dict[str, Any]) -> None:
    """A versioned container goes only once all its versions are gone; its hidden container with it."""
    hidden = configured(row["meta"])
    if hidden is None:
        return
    versions = state.get_container(conn, account, hidden)
    if versions is not None and versions["object_count"] > 0:
        raise Conflict("Delete all versions before deleting container.")
    if row["object_count"] == 0 and versions is not None:
        state.delete_container(conn, account, hidden)


def container_headers(conn: Connection, account: str, row: dict[str, Any]) -> dict[str, str]:
    """X-Versions-Enabled, and the bytes of all versions counted in X-Container-Bytes-Used."""
    out: dict[str, str] = {}
    if row["meta"].get(KEY_ENABLED):
        out["X-Versions-Enabled"] = str(row["meta"][KEY_ENABLED])
    hidden = configured(row["meta"])
    if hidden:
        versions = state.get_container(conn, account, hidden)
        if versions is not None:
            out["X-Container-Bytes-Used"] = str(row["bytes_used"] + versions["bytes_used"])
    return out


def decorate_entry(account: str, container: str, row: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """A plain listing's entry for a versioned object, as Swift shows its version symlink."""
    if isinstance(row, dict) and row["meta"].get(KEY_ID):
        entry["symlink_path"] = quote(f"/v1/{account}/{container}/{row['name']}") + \
            f"?version-id={row['meta'][KEY_ID]}"
        entry["version_symlink"] = True
    return entry


# --- account listing ---------------------------------------------------------------
def visible(where: list[Any]) -> list[Any]:
    """Account listings leave out hidden versions containers."""
    return [*where, sa.not_(containers.c.name.contains("/"))]


def add_version_bytes(conn: Connection, account: str, items: list[Any]) -> None:
    names = {hidden_name(i["name"]): i for i in items if isinstance(i, dict) and i["meta"].get(KEY_CONTAINER)}
    if not names:
        return
    rows = conn.execute(sa.select(containers.c.name, containers.c.bytes_used).where(
        containers.c.account == account, containers.c.name.in_(list(names)))).all()
    for name, used in rows:
        item = names[name]
        item["bytes_used"] = item["bytes_used"] + used


# --- ?versions listing -----------------------------------------------------------------
def _hidden_marker(q: Any) -> str:
    marker, version_marker = q.get("marker"), q.get("version_marker")
    if marker is None:
        if version_marker is not None:
            raise constraints.bad("version_marker param requires marker")
        return ""
    if version_marker is None:
        return marker + SEP + ":"          # past every version of the marker's object
    if version_marker == "null":
        return marker + SEP                # before every version of it
    from pocketstack.services.object_store.object_versioning import check_version
    try:
        return encode(marker, check_version(version_marker, allow_null=False))
    except Exception:  # noqa: BLE001 - Swift's own message for a bad marker
        raise constraints.bad("invalid version_marker param") from None


def _entry(row: dict[str, Any], name: str, version_id: str, latest: bool) -> dict[str, Any]:
    entry = listing.object_entry(row)
    entry.update(name=name, version_id=version_id, is_latest=latest)
    return entry


def list_versions(ctx: Context, rq: ApiRequest) -> Response:
    t = request.target(rq)
    name = t.container or ""
    with db.reader() as conn:
        row = state.get_container(conn, t.account, name)
    acl.authorize(ctx, t.account, acl.LIST, None if row is None else row["meta"], request.referrer(rq))
    if row is None:
        raise NotFound()
    opts = listing.params(rq, constraints.CONTAINER_LISTING_LIMIT)
    if set(opts["delimiter"]) & set("0123456789." + SEP):
        raise constraints.bad("invalid delimiter param")
    hidden_opts = {**opts, "marker": _hidden_marker(rq.query), "end_marker": "", "path": None}
    limit, reverse = opts["limit"], opts["reverse"]
    hidden = configured(row["meta"]) or hidden_name(name)
    with db.reader() as conn:
        mine = state.list_names(conn, objects, [objects.c.account == t.account, objects.c.container == name],
                                **opts)
        theirs = state.list_names(conn, objects, [objects.c.account == t.account,
                                                  objects.c.container == hidden], **hidden_opts)
        marker_row = state.get_object(conn, t.account, name, rq.query["marker"]) \
            if rq.query.get("version_marker") and rq.query.get("marker") else None
        hdrs = _container_view(ctx, conn, t.account, row)
    body = json.dumps(_merge(mine, theirs, marker_row, hidden_opts["marker"], limit, reverse)).encode()
    return request.respond(t, 200, body, {**hdrs, "Content-Type": "application/json; charset=utf-8"})


def _container_view(ctx: Context, conn: Connection, account: str, row: dict[str, Any]) -> dict[str, str]:
    from pocketstack.services.object_store.containers import container_headers as base
    return {**base(ctx, account, row), **container_headers(conn, account, row)}


def _merge(mine: list[Any], theirs: list[Any], marker_row: dict[str, Any] | None, hidden_marker: str,
           limit: int, reverse: bool) -> list[dict[str, Any]]:
    """Swift's build_listing: null versions, versions (with the current ones put back in their place
    among the archived ones), subdirs; sorted by name only, then cut to the limit."""
    nulls: list[dict[str, Any]] = []
    subdirs: set[str] = set()
    versions: list[tuple[str, dict[str, Any], bool]] = []      # (hidden name, row, is current)
    for item in mine:
        if isinstance(item, str):
            subdirs.add(item)
        elif item["meta"].get(KEY_ID):
            versions.append((encode(item["name"], item["meta"][KEY_ID]), item, True))
        else:
            nulls.append(_entry(item, item["name"], "null", True))
    if marker_row is not None and marker_row["meta"].get(KEY_ID):
        key = encode(marker_row["name"], marker_row["meta"][KEY_ID])
        if (key < hidden_marker) if reverse else (key > hidden_marker):
            versions.append((key, marker_row, True))
    for item in theirs:
        if isinstance(item, str):
            subdirs.add(item)
        else:
            versions.append((item["name"], item, False))
    versions.sort(key=lambda v: v[0], reverse=reverse)
    latest = {n["name"] for n in nulls}
    listed: list[dict[str, Any]] = []
    for key, item, current in versions:
        obj, vid = decode(key)
        if vid is None:
            continue
        if current:
            is_latest = True
            latest.add(obj)
        elif item["content_type"] == DELETE_MARKER and obj not in latest:
            is_latest = True
            latest.add(obj)
        else:
            is_latest = False
        listed.append(_entry(item, obj, vid, is_latest))
    everything = [*nulls, *listed, *({"subdir": s} for s in subdirs)]
    everything.sort(key=lambda e: e.get("subdir") or e["name"], reverse=reverse)
    return everything[:limit]
