"""Server metadata and tags: /servers/{id}/metadata, /servers/{id}/tags (api-ref: compute, Server metadata;
Server tags)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.http import empty
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common, quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v
from pocketstack.services.compute.servers import schemas

WRITABLE = ["active", "paused", "suspended", "stopped"]
TAGGABLE = ["active", "paused", "suspended", "stopped", "shelved", "shelved_offloaded", "resized", "rescued",
            "error"]
MAX_TAGS = 50
M = t.server_metadata


# --- metadata --------------------------------------------------------------------------
def _meta(conn: Connection, server_id: str) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(sa.select(M).where(M.c.server_id == server_id))}


def _writable(conn: Connection, ctx: Context, rq: ApiRequest, action: str) -> dict[str, Any]:
    row = common.load_server(conn, ctx, rq.params["server_id"])
    common.check_locked(ctx, row)
    common.check_state(row, action, WRITABLE, None)
    return row


def _write(conn: Connection, ctx: Context, server_id: str, items: dict[str, str], replace: bool) -> dict[str, str]:
    merged = dict(items) if replace else {**_meta(conn, server_id), **items}
    limit = quotas.limits_of(conn, ctx.project_id or "")["metadata_items"]
    if 0 <= limit < len(merged):
        raise Forbidden(f"Quota exceeded for metadata_items: Requested {len(merged)}, but already used 0 of "
                        f"{limit} metadata_items")
    conn.execute(M.delete().where(M.c.server_id == server_id))
    for key, value in merged.items():
        conn.execute(M.insert().values(server_id=server_id, key=key, value=value))
    common.set_server(conn, server_id)
    return merged


def list_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
        return {"metadata": _meta(conn, row["id"])}


def create_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = _writable(conn, ctx, rq, "update metadata")
        return {"metadata": _write(conn, ctx, row["id"], rq.body["metadata"], replace=False)}


def replace_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = _writable(conn, ctx, rq, "update metadata")
        return {"metadata": _write(conn, ctx, row["id"], rq.body["metadata"], replace=True)}


def show_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
        meta = _meta(conn, row["id"])
    if rq.params["key"] not in meta:
        raise NotFound("Metadata item was not found")
    return {"meta": {rq.params["key"]: meta[rq.params["key"]]}}


def update_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if rq.params["key"] not in rq.body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    with db.session() as conn:
        row = _writable(conn, ctx, rq, "update metadata")
        _write(conn, ctx, row["id"], rq.body["meta"], replace=False)
    return {"meta": rq.body["meta"]}


def delete_metadata_item(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _writable(conn, ctx, rq, "delete metadata")
        gone = conn.execute(M.delete().where(M.c.server_id == row["id"], M.c.key == rq.params["key"]))
        if gone.rowcount == 0:
            raise NotFound("Metadata item was not found")


# --- tags ------------------------------------------------------------------------------
def _tags(conn: Connection, server_id: str) -> list[str]:
    return list(conn.execute(sa.select(t.server_tags.c.tag).where(t.server_tags.c.server_id == server_id)
                             .order_by(t.server_tags.c.tag)).scalars())


def _taggable(conn: Connection, ctx: Context, rq: ApiRequest, action: str) -> dict[str, Any]:
    row = common.load_server(conn, ctx, rq.params["server_id"])
    common.check_state(row, action, TAGGABLE, None)
    return row


def list_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"tags": _tags(conn, common.load_server(conn, ctx, rq.params["server_id"])["id"])}


def replace_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    tags = list(dict.fromkeys(rq.body["tags"]))
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    with db.session() as conn:
        row = _taggable(conn, ctx, rq, "update tags")
        conn.execute(t.server_tags.delete().where(t.server_tags.c.server_id == row["id"]))
        for tag in tags:
            conn.execute(t.server_tags.insert().values(server_id=row["id"], tag=tag))
        return {"tags": _tags(conn, row["id"])}


def delete_tags(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _taggable(conn, ctx, rq, "delete tags")
        conn.execute(t.server_tags.delete().where(t.server_tags.c.server_id == row["id"]))


def show_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        row = common.load_server(conn, ctx, rq.params["server_id"])
        if rq.params["tag"] not in _tags(conn, row["id"]):
            raise NotFound(f"Tag {rq.params['tag']} not found on server {row['id']}")


def add_tag(ctx: Context, rq: ApiRequest) -> Any:
    tag = rq.params["tag"]
    if len(tag) > 60 or "," in tag or "/" in tag:
        raise BadRequest(f"Tag '{tag}' is invalid.")
    with db.session() as conn:
        row = _taggable(conn, ctx, rq, "update tag")
        tags = _tags(conn, row["id"])
        if tag in tags:
            return empty(204)
        if len(tags) >= MAX_TAGS:
            raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        conn.execute(t.server_tags.insert().values(server_id=row["id"], tag=tag))
    href = f"{ctx.base_url}{rq.service_prefix}/v2.1/servers/{row['id']}/tags/{tag}"
    return empty(201, {"Location": href})


def delete_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = _taggable(conn, ctx, rq, "delete tag")
        gone = conn.execute(t.server_tags.delete().where(t.server_tags.c.server_id == row["id"],
                                                         t.server_tags.c.tag == rq.params["tag"]))
        if gone.rowcount == 0:
            raise NotFound(f"Tag {rq.params['tag']} not found on server {row['id']}")


MD, TG = "/v2.1/servers/{server_id}/metadata", "/v2.1/servers/{server_id}/tags"
PM, PT = "os_compute_api:server-metadata:", "os_compute_api:os-server-tags:"
T = common.server_target
ROUTES = [
    route("GET", MD, list_metadata, policy=PM + "index", target=T),
    route("POST", MD, create_metadata, policy=PM + "create", target=T, body=schemas.METADATA_BODY),
    route("PUT", MD, replace_metadata, policy=PM + "update_all", target=T, body=schemas.METADATA_BODY),
    route("GET", MD + "/{key}", show_metadata_item, policy=PM + "show", target=T),
    route("PUT", MD + "/{key}", update_metadata_item, policy=PM + "update", target=T, body=schemas.META_ITEM),
    route("DELETE", MD + "/{key}", delete_metadata_item, policy=PM + "delete", target=T, status=204),
    route("GET", TG, list_tags, policy=PT + "index", target=T, min_version=v.SERVER_TAGS),
    route("PUT", TG, replace_tags, policy=PT + "update_all", target=T, body=schemas.TAGS_BODY,
          min_version=v.SERVER_TAGS),
    route("DELETE", TG, delete_tags, policy=PT + "delete_all", target=T, status=204, min_version=v.SERVER_TAGS),
    route("GET", TG + "/{tag}", show_tag, policy=PT + "show", target=T, status=204, min_version=v.SERVER_TAGS),
    route("PUT", TG + "/{tag}", add_tag, policy=PT + "update", target=T, min_version=v.SERVER_TAGS),
    route("DELETE", TG + "/{tag}", delete_tag, policy=PT + "delete", target=T, status=204, min_version=v.SERVER_TAGS),
]
