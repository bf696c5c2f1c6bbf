"""Metadata of volumes and snapshots: /volumes/{id}/metadata[/{key}], /snapshots/{id}/metadata[/{key}]
(api-ref: block-storage v3, Volume metadata; Snapshot metadata)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, Route
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes, target_loader
from pocketstack.services.block_storage.tables import snapshot_metadata, snapshots, volume_metadata, volumes

KEY = "^[a-zA-Z0-9-_:. /]{1,255}$"
META = {"type": "object", "patternProperties": {KEY: {"type": ["string", "null"], "maxLength": 255}},
        "additionalProperties": False}
# --- schemas -------------------------------------------------------------------------------
METADATA_BODY = {"type": "object", "required": ["metadata"], "additionalProperties": False,
                 "properties": {"metadata": META}}
META_BODY = {"type": "object", "required": ["meta"], "additionalProperties": False,
             "properties": {"meta": {**META, "minProperties": 1}}}


@dataclass
class Owner:
    """Whose metadata: the owning table, the metadata table and its foreign key column."""
    kind: str
    table: sa.Table
    meta: sa.Table
    fk: str
    param: str

    def load(self, conn: Connection, ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        return common.load_row(conn, self.table, ctx, rq.params[self.param], self.kind)

    def read(self, conn: Connection, item_id: str) -> dict[str, str]:
        rows = conn.execute(sa.select(self.meta).where(self.meta.c[self.fk] == item_id)).mappings()
        return {r["key"]: r["value"] for r in rows}

    def write(self, conn: Connection, item_id: str, values: dict[str, Any], *, replace: bool) -> dict[str, str]:
        if replace:
            conn.execute(self.meta.delete().where(self.meta.c[self.fk] == item_id))
        for key, value in values.items():
            conn.execute(self.meta.delete().where(self.meta.c[self.fk] == item_id, self.meta.c.key == key))
            conn.execute(self.meta.insert().values({self.fk: item_id, "key": key, "value": str(value or "")}))
        conn.execute(self.table.update().where(self.table.c.id == item_id).values(updated_at=utcnow()))
        return self.read(conn, item_id)


# --- routes --------------------------------------------------------------------------------
def _handlers(owner: Owner) -> dict[str, Callable[[Context, ApiRequest], Any]]:
    def list_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            return {"metadata": owner.read(conn, owner.load(conn, ctx, rq)["id"])}

    def create_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.session() as conn:
            return {"metadata": owner.write(conn, owner.load(conn, ctx, rq)["id"], rq.body["metadata"],
                                            replace=False)}

    def replace_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.session() as conn:
            return {"metadata": owner.write(conn, owner.load(conn, ctx, rq)["id"], rq.body["metadata"],
                                            replace=True)}

    def show_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        with db.reader() as conn:
            meta = owner.read(conn, owner.load(conn, ctx, rq)["id"])
        if rq.params["key"] not in meta:
            raise NotFound("Metadata item was not found")
        return {"meta": {rq.params["key"]: meta[rq.params["key"]]}}

    def update_metadata_item(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
        meta = rq.body["meta"]
        if len(meta) > 1:
            raise BadRequest("Request body contains too many items")
        if rq.params["key"] not in meta:
            raise BadRequest("Request body and URI mismatch")
        with db.session() as conn:
            owner.write(conn, owner.load(conn, ctx, rq)["id"], meta, replace=False)
        return {"meta": {k: str(val or "") for k, val in meta.items()}}

    def delete_metadata_item(ctx: Context, rq: ApiRequest) -> None:
        with db.session() as conn:
            item_id = owner.load(conn, ctx, rq)["id"]
            gone = conn.execute(owner.meta.delete().where(owner.meta.c[owner.fk] == item_id,
                                                          owner.meta.c.key == rq.params["key"]))
            if gone.rowcount == 0:
                raise NotFound("Metadata item was not found")

    return {"list": list_metadata, "create": create_metadata, "replace": replace_metadata,
            "show": show_metadata_item, "update": update_metadata_item, "delete": delete_metadata_item}


def _routes(owner: Owner, base: str, policies: dict[str, str]) -> list[Route]:
    h, target = _handlers(owner), target_loader(owner.table.name, owner.param, owner.kind)
    item = base + "/{key}"
    return [
        *routes("GET", base, h["list"], policy=policies["get"], target=target),
        *routes("POST", base, h["create"], policy=policies["create"], target=target, body=METADATA_BODY),
        *routes("PUT", base, h["replace"], policy=policies["update"], target=target, body=METADATA_BODY),
        *routes("GET", item, h["show"], policy=policies["get"], target=target),
        *routes("PUT", item, h["update"], policy=policies["update"], target=target, body=META_BODY),
        *routes("DELETE", item, h["delete"], policy=policies["delete"], target=target),
    ]


VOLUME = Owner("Volume", volumes, volume_metadata, "volume_id", "volume_id")
SNAPSHOT = Owner("Snapshot", snapshots, snapshot_metadata, "snapshot_id", "snapshot_id")
ROUTES = [
    *_routes(VOLUME, "/volumes/{volume_id}/metadata", {
        "get": "volume:get_volume_metadata", "create": "volume:create_volume_metadata",
        "update": "volume:update_volume_metadata", "delete": "volume:delete_volume_metadata"}),
    *_routes(SNAPSHOT, "/snapshots/{snapshot_id}/metadata", {
        "get": "volume:get_snapshot_metadata", "create": "volume:update_snapshot_metadata",
        "update": "volume:update_snapshot_metadata", "delete": "volume:delete_snapshot_metadata"}),
]
