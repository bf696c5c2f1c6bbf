"""Default volume types per project: /default-types (api-ref: block-storage v3, Default Volume Types
(default-types), microversion 3.62; cinder/api/v3/default_types.py). A project's default wins over
the cloud's (`lvmdriver-1`) when a volume is created without a type and for GET /types/default."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import versions as v
from pocketstack.services.block_storage import volume_types
from pocketstack.services.block_storage.common import before, routes
from pocketstack.services.block_storage.tables import default_volume_types as D

# --- schemas -------------------------------------------------------------------------------
SET = {"type": "object", "required": ["default_type"], "additionalProperties": False, "properties": {
    "default_type": {"type": "object", "required": ["volume_type"], "additionalProperties": False,
                     "properties": {"volume_type": {"type": "string", "minLength": 1, "maxLength": 255}}}}}


# --- views ---------------------------------------------------------------------------------
def render(row: Any) -> dict[str, Any]:
    return {"project_id": row["project_id"], "volume_type_id": row["volume_type_id"]}


# --- logic ---------------------------------------------------------------------------------
def _not_found(project_id: str) -> NotFound:
    return NotFound(f"Default type for project {project_id} could not be found.")


def _row(conn: Connection, project_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(D).where(D.c.project_id == project_id)).mappings().first()
    if row is None:
        raise _not_found(project_id)
    return dict(row)


def set_default(ctx: Context, project_id: str, type_ref: str) -> dict[str, Any]:
    with db.session() as conn:
        try:
            type_id = volume_types.find(conn, ctx, type_ref)["id"]
        except NotFound as err:
            raise BadRequest(err.message) from None
        now = utcnow()
        if conn.execute(sa.select(D.c.project_id).where(D.c.project_id == project_id)).first():
            conn.execute(D.update().where(D.c.project_id == project_id).values(volume_type_id=type_id,
                                                                               updated_at=now))
        else:
            conn.execute(D.insert().values(project_id=project_id, volume_type_id=type_id, created_at=now))
        return _row(conn, project_id)


# --- routes --------------------------------------------------------------------------------
def _project(rq: ApiRequest) -> str:
    return rq.params["target_project_id"]


def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": _project(rq)}


def set_default_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"default_type": render(set_default(ctx, _project(rq), rq.body["default_type"]["volume_type"]))}


def show_default_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"default_type": render(_row(conn, _project(rq)))}


def list_default_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(D).order_by(D.c.created_at, D.c.project_id)).mappings().all()
    return {"default_types": [render(r) for r in rows]}


def unset_default_type(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        if conn.execute(D.delete().where(D.c.project_id == _project(rq))).rowcount == 0:
            raise _not_found(_project(rq))


P, V62 = "/default-types/{target_project_id}", {"min_version": v.DEFAULT_TYPE_OVERRIDES}
ROUTES = [
    *routes("PUT", P, set_default_type, policy="volume_extension:default_set_or_update", target=target, body=SET,
            **V62),
    *routes("GET", P, show_default_type, policy="volume_extension:default_get", target=target, **V62),
    *routes("GET", "/default-types", list_default_types, policy="volume_extension:default_get_all", **V62),
    *routes("DELETE", P, unset_default_type, policy="volume_extension:default_unset", target=target, status=204,
            **V62),
    *before(v.DEFAULT_TYPE_OVERRIDES, P, "/default-types", methods=("GET", "PUT", "DELETE")),
]
