"""Quota sets: /os-quota-sets/{project_id}[/defaults] (api-ref: block-storage v3, Quota sets extension
(os-quota-sets))."""

from __future__ import annotations

from typing import Any


from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest
from pocketstack.services.block_storage import common
from pocketstack.services.block_storage.common import routes
from pocketstack.services.block_storage.tables import quotas

LIMIT = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$"}
# --- schemas -------------------------------------------------------------------------------
UPDATE = {"type": "object", "required": ["quota_set"], "additionalProperties": False, "properties": {
    "quota_set": {"type": "object", "additionalProperties": LIMIT}}}
UPDATE_CLASS = {"type": "object", "required": ["quota_class_set"], "additionalProperties": False, "properties": {
    "quota_class_set": {"type": "object", "additionalProperties": LIMIT}}}


# --- routes --------------------------------------------------------------------------------
def _target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": rq.params["target_project"]}


def show_quota_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project = rq.params["target_project"]
    usage = common.bool_param(rq.query.get("usage", "false"), "usage")
    with db.reader() as conn:
        limits = common.quota_limits(conn, project)
        used = common.quota_usage(conn, project) if usage else {}
    body: dict[str, Any] = {"id": project}
    for key, limit in limits.items():
        body[key] = {"limit": limit, "in_use": used.get(key, 0), "reserved": 0} if usage else limit
    return {"quota_set": body}


def show_default_quota_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        limits = common.quota_limits(conn, common.DEFAULT_PROJECT)
    return {"quota_set": {"id": rq.params["target_project"], **limits}}


def _values(conn: Connection, body: dict[str, Any]) -> dict[str, int]:
    known = common.quota_limits(conn, common.DEFAULT_PROJECT)
    values: dict[str, int] = {}
    for key, raw in body.items():
        if key in ("id", "tenant_id"):
            continue
        if key not in known:
            raise BadRequest(f"Bad key(s) in quota set: {key}")
        value = int(raw)
        if value < -1:
            raise BadRequest(f"Invalid input received: Quota limit {value} for {key} must be -1 or greater.")
        values[key] = value
    return values


def _store(conn: Connection, project: str, values: dict[str, int]) -> None:
    for key, value in values.items():
        conn.execute(quotas.delete().where(quotas.c.project_id == project, quotas.c.resource == key))
        conn.execute(quotas.insert().values(project_id=project, resource=key, hard_limit=value))


def update_quota_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    project = rq.params["target_project"]
    with db.session() as conn:
        values = _values(conn, rq.body["quota_set"])
        used = common.quota_usage(conn, project)
        for key, value in values.items():
            if value != -1 and key != "per_volume_gigabytes" and used.get(key, 0) > value:
                raise BadRequest(f"Invalid input received: Quota limit {value} for {key} must be greater than or "
                                 f"equal to already used and reserved {used[key]}.")
        _store(conn, project, values)
        limits = common.quota_limits(conn, project)
    return {"quota_set": limits}


def delete_quota_set(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        conn.execute(quotas.delete().where(quotas.c.project_id == rq.params["target_project"]))


def show_quota_class_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        limits = common.quota_limits(conn, common.DEFAULT_PROJECT)
    return {"quota_class_set": {"id": rq.params["class_name"], **limits}}


def update_quota_class_set(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """Only the 'default' class applies to projects (cinder's use_default_quota_class)."""
    if rq.params["class_name"] != "default":
        raise BadRequest("Invalid input received: only the 'default' quota class is supported.")
    with db.session() as conn:
        _store(conn, common.DEFAULT_PROJECT, _values(conn, rq.body["quota_class_set"]))
        return {"quota_class_set": common.quota_limits(conn, common.DEFAULT_PROJECT)}


Q = "/os-quota-sets/{target_project}"
C = "/os-quota-class-sets/{class_name}"
ROUTES = [
    *routes("GET", Q + "/defaults", show_default_quota_set, policy="volume_extension:quotas:show", target=_target),
    *routes("GET", Q, show_quota_set, policy="volume_extension:quotas:show", target=_target),
    *routes("PUT", Q, update_quota_set, policy="volume_extension:quotas:update", target=_target, body=UPDATE),
    *routes("DELETE", Q, delete_quota_set, policy="volume_extension:quotas:delete", target=_target),
    *routes("GET", C, show_quota_class_set, policy="volume_extension:quota_classes:get"),
    *routes("PUT", C, update_quota_class_set, policy="volume_extension:quota_classes:update", body=UPDATE_CLASS),
]
