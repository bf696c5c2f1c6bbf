"""Transport keys: /v1/transport_keys, public keys an admin registers for a secret store plugin
(barbican/api/controllers/transportkeys.py). Secrets wrapped by a transport key are not supported: no
plugin of this cloud uses one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common
from pocketstack.services.key_manager.tables import transport_keys

# --- schemas -------------------------------------------------------------------
TRANSPORT_KEY = {"type": "object", "properties": {"plugin_name": {"type": "string"},
                                                  "transport_key": {"type": "string"}}}


# --- views ---------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    return {"created": common.iso(row["created_at"]), "updated": common.iso(row["updated_at"] or row["created_at"]),
            "status": "ACTIVE", "plugin_name": row["plugin_name"], "transport_key": row["transport_key"],
            "transport_key_ref": common.ref(ctx, rq, "transport_keys", row["id"])}


# --- routes --------------------------------------------------------------------
def create_transport_key(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = common.validate(TRANSPORT_KEY, rq.body, "Transport Key")
    for field in ("plugin_name", "transport_key"):
        if not (data.get(field) or "").strip():
            raise common.invalid("Transport Key", f"{field} must be provided", field)
    key_id = new_uuid()
    with db.session() as conn:
        conn.execute(transport_keys.insert().values(id=key_id, plugin_name=data["plugin_name"].strip(),
                                                    transport_key=data["transport_key"], created_at=utcnow()))
    url = common.ref(ctx, rq, "transport_keys", key_id)
    return json_response(201, {"transport_key_ref": url}, headers={"Location": url})


def list_transport_keys(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(transport_keys)
    if rq.query.get("plugin_name"):
        stmt = stmt.where(transport_keys.c.plugin_name == rq.query["plugin_name"])
    with db.reader() as conn:
        return common.page(ctx, rq, conn, stmt.order_by(transport_keys.c.created_at, transport_keys.c.id),
                           "transport_keys", lambda r: render(ctx, rq, r))


def show_transport_key(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return render(ctx, rq, _load(conn, rq))


def delete_transport_key(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        conn.execute(transport_keys.delete().where(transport_keys.c.id == _load(conn, rq)["id"]))


def _load(conn: Any, rq: ApiRequest) -> Any:
    return common.load(conn, transport_keys, rq.params["key_id"], "Transport Key not found.",
                       "Transport Key not found.")


T = "/v1/transport_keys"
ROUTES = [
    route("GET", T, list_transport_keys, policy="transport_keys:get"),
    route("POST", T, create_transport_key, policy="transport_keys:post", status=201),
    route("GET", T + "/{key_id}", show_transport_key, policy="transport_key:get"),
    route("DELETE", T + "/{key_id}", delete_transport_key, policy="transport_key:delete", status=204),
]
