"""ACLs of secrets and containers: /v1/secrets/{id}/acl, /v1/containers/{id}/acl (api-ref: key-manager,
ACLs; barbican/api/controllers/acls.py). The one operation is `read`; without an ACL a secret or
container is readable by its project (DEFAULT_ACL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common, containers, secrets
from pocketstack.services.key_manager.tables import acls

DEFAULT_ACL = {"read": {"project-access": True}}

# --- schemas -------------------------------------------------------------------
ACL = {"type": "object", "additionalProperties": False, "properties": {"read": {
    "type": "object", "additionalProperties": False, "properties": {
        "users": {"type": "array", "items": {"type": "string", "maxLength": 255}},
        "project-access": {"type": "boolean"}}}}}


# --- views ---------------------------------------------------------------------
def render(rows: list[Any]) -> dict[str, Any]:
    out = {r["operation"]: {"project-access": r["project_access"], "users": list(r["users"] or []),
                            "created": common.iso(r["created_at"]),
                            "updated": common.iso(r["updated_at"] or r["created_at"])} for r in rows}
    return out or dict(DEFAULT_ACL)


# --- logic ---------------------------------------------------------------------
def _entity(rq: ApiRequest) -> tuple[str, str]:
    kind = "secret" if "secret_id" in rq.params else "container"
    return kind, rq.target_cache[kind]["id"]


def _where(kind: str, ident: str) -> tuple[Any, ...]:
    return acls.c.entity_type == kind, acls.c.entity_id == ident


def _write(ctx: Context, rq: ApiRequest, replace: bool) -> Response:
    """PUT replaces every ACL (project-access true when absent); PATCH changes only what it names."""
    common.media(rq)
    data = common.validate(ACL, rq.body, "ACL")
    kind, ident = _entity(rq)
    now = utcnow()
    with db.session() as conn:
        existing = {r["operation"]: r for r in conn.execute(sa.select(acls).where(*_where(kind, ident))).mappings()}
        for operation, spec in data.items():
            if not spec:
                continue
            old = existing.pop(operation, None)
            access = spec.get("project-access", True if replace or old is None else old["project_access"])
            users = spec.get("users", [] if replace or old is None else old["users"])
            users = list(dict.fromkeys(users))
            if old is None:
                conn.execute(acls.insert().values(entity_type=kind, entity_id=ident, operation=operation,
                                                  project_access=access, users=users, created_at=now))
            else:
                conn.execute(acls.update().where(*_where(kind, ident), acls.c.operation == operation)
                             .values(project_access=access, users=users, updated_at=now))
        if replace:
            for operation in existing:
                conn.execute(acls.delete().where(*_where(kind, ident), acls.c.operation == operation))
    collection = "secrets" if kind == "secret" else "containers"
    return json_response(200, {"acl_ref": common.ref(ctx, rq, collection, ident) + "/acl"})


# --- routes --------------------------------------------------------------------
def show_acl(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    kind, ident = _entity(rq)
    with db.reader() as conn:
        return render(list(conn.execute(sa.select(acls).where(*_where(kind, ident))
                                        .order_by(acls.c.operation)).mappings()))


def replace_acl(ctx: Context, rq: ApiRequest) -> Response:
    return _write(ctx, rq, replace=True)


def update_acl(ctx: Context, rq: ApiRequest) -> Response:
    return _write(ctx, rq, replace=False)


def delete_acl(ctx: Context, rq: ApiRequest) -> Response:
    kind, ident = _entity(rq)
    with db.session() as conn:
        conn.execute(acls.delete().where(*_where(kind, ident)))
    return json_response(200, None)          # quirk: pecan's json template renders None as null


ROUTES = []
for _kind, _path, _target in (("secret", "/v1/secrets/{secret_id}/acl", secrets.target),
                              ("container", "/v1/containers/{container_id}/acl", containers.target)):
    ROUTES += [
        route("GET", _path, show_acl, policy=f"{_kind}_acls:get", target=_target),
        route("PUT", _path, replace_acl, policy=f"{_kind}_acls:put_patch", target=_target),
        route("PATCH", _path, update_acl, policy=f"{_kind}_acls:put_patch", target=_target),
        route("DELETE", _path, delete_acl, policy=f"{_kind}_acls:delete", target=_target),
    ]
