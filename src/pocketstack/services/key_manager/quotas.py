"""Quotas: /v1/quotas (the caller's effective quotas) and /v1/project-quotas (admins set them per project)
(api-ref: key-manager, Quotas; barbican/api/controllers/quotas.py, common/quota.py). Unset means the
configured default, unlimited (-1) as barbican.conf's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common
from pocketstack.services.key_manager.tables import project_quotas

KINDS = ("secrets", "orders", "containers", "consumers", "cas")
DEFAULT = -1
NOT_SET = "Not Found. Sorry but project quotas are not set for the project."

# --- schemas -------------------------------------------------------------------
PROJECT_QUOTAS = {"type": "object", "required": ["project_quotas"], "properties": {"project_quotas": {
    "type": "object", "additionalProperties": False,
    "properties": {k: {"type": "integer", "minimum": -1} for k in KINDS}}}}


# --- views ---------------------------------------------------------------------
def _configured(row: Any) -> dict[str, int]:
    return {k: row[k] for k in KINDS if row[k] is not None}


# --- routes --------------------------------------------------------------------
def show_quotas(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(project_quotas).where(project_quotas.c.project_id == ctx.project_id)) \
            .mappings().first()
    return {"quotas": {k: (row[k] if row is not None and row[k] is not None else DEFAULT) for k in KINDS}}


def list_project_quotas(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(project_quotas).order_by(project_quotas.c.created_at, project_quotas.c.project_id)
    with db.reader() as conn:
        return common.page(ctx, rq, conn, stmt, "project_quotas",
                           lambda r: {"project_id": r["project_id"], "project_quotas": _configured(r)})


def show_project_quotas(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = conn.execute(sa.select(project_quotas).where(
            project_quotas.c.project_id == rq.params["project_id"])).mappings().first()
    if row is None:
        raise NotFound(NOT_SET)
    return {"project_quotas": _configured(row)}


def set_project_quotas(ctx: Context, rq: ApiRequest) -> None:
    common.media(rq)
    if rq.body is None:
        raise BadRequest("Project Quotas issue seen - No data supplied to process.")
    values = common.validate(PROJECT_QUOTAS, rq.body, "Project Quotas")["project_quotas"]
    row = {k: values.get(k) for k in KINDS}
    pid = rq.params["project_id"]
    with db.session() as conn:
        if conn.execute(project_quotas.update().where(project_quotas.c.project_id == pid)
                        .values(updated_at=utcnow(), **row)).rowcount == 0:
            conn.execute(project_quotas.insert().values(project_id=pid, created_at=utcnow(), **row))


def delete_project_quotas(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        if not conn.execute(project_quotas.delete().where(
                project_quotas.c.project_id == rq.params["project_id"])).rowcount:
            raise NotFound(NOT_SET)


PQ = "/v1/project-quotas"
ROUTES = [
    route("GET", "/v1/quotas", show_quotas, policy="quotas:get"),
    route("GET", PQ, list_project_quotas, policy="project_quotas:get"),
    route("GET", PQ + "/{project_id}", show_project_quotas, policy="project_quotas:get"),
    route("PUT", PQ + "/{project_id}", set_project_quotas, policy="project_quotas:put", status=204),
    route("DELETE", PQ + "/{project_id}", delete_project_quotas, policy="project_quotas:delete", status=204),
]
